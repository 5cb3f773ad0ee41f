"""Fisher information of the CW-ODMR line centre, and the design that spends a sweep's pairs where it is largest.

One pixel's normalised spectrum is S(f) = b (1 - C sum_k L(f; c + o_k, w)) (``analysis.odmr.models``, b = 1 here:
the baseline only scales the noise). A step at frequency f_i with n_i on/off pairs measures S(f_i) with variance
sigma^2 / n_i (shot noise, the same sigma at every frequency to within the contrast, a few per cent). The Fisher
information of the parameters theta = (b, C, w, c) is M = sum_i n_i g_i g_i^T / sigma^2 with g_i = dS/dtheta at
f_i, and the centre's variance after a fit is (M^-1)_cc. dS/dc = -C sum_k dL/dc is zero at the line's bottom and
far out on the baseline and largest on the flanks (|f - f_k| = w / (2 sqrt 3)): that is where the frames go.

The field map's noise is the mean of (M_p^-1)_cc over the pixels p of the field of view, whose centres are
spread by the background and the cells' dipoles; ``optimise_design`` minimises it over the pairs n_i of a grid
of candidate frequencies (an A-optimal-type design, convex in n) with the multiplicative algorithm
w_i <- w_i d_i^rho / sum_j w_j d_j^rho, d_i = sum_p (e_c^T M_p^-1 g_pi)^2 = -dPhi/dn_i (Yu 2010, monotone for
0 < rho <= 1). Everything already measured (a first pass, the baseline and exploration shares) enters as a
fixed part of M_p, so the optimised pairs complement it.
"""

import numpy as np

from analysis import physics

N_PARAMS = 4
"""(baseline, contrast, fwhm, centre): one transition's parameters in ``analysis.odmr``'s order."""
CENTRE = 3


def spectrum_gradients(freq_hz, centers_hz, fwhm_hz, contrast, offsets_hz):
    """(P, 4, K) derivatives of S = 1 - C sum_k L(f; c + o_k, w) w.r.t. (b, C, w/MHz, c/MHz) for P pixels at K
    frequencies.

    centers_hz, fwhm_hz, contrast: (P,) per pixel; offsets_hz: the model's hyperfine offsets (Hz).
    """
    f = np.asarray(freq_hz, dtype=np.float64)[None, :]
    c = np.asarray(centers_hz, dtype=np.float64)[:, None]
    w = np.asarray(fwhm_hz, dtype=np.float64)[:, None]
    amp = np.asarray(contrast, dtype=np.float64)[:, None]
    total = np.zeros((c.shape[0], f.shape[1]))
    d_center = np.zeros_like(total)
    d_fwhm = np.zeros_like(total)
    for offset in np.asarray(offsets_hz, dtype=np.float64):
        value, dc, dw = physics.lorentzian_and_derivatives(f, c + offset, w)
        total += value
        d_center += dc
        d_fwhm += dw
    # Width and centre derivatives per MHz, so that the four rows are of one order and M is well conditioned
    # (the centre's variance is then in MHz^2; the design does not depend on the unit).
    return np.stack([1.0 - amp * total, -total, -1e6 * amp * d_fwhm, -1e6 * amp * d_center], axis=1)


def information(gradients, pairs):
    """(P, 4, 4) Fisher matrices sum_i n_i g_pi g_pi^T (per unit noise variance of one pair)."""
    return np.einsum("pak,pbk,k->pab", gradients, gradients, np.asarray(pairs, dtype=np.float64))


def centre_variance(info):
    """(P,) (M^-1)_cc: the centre's variance per pixel (MHz^2 per unit noise variance of one pair); inf where M
    is singular (the centre is not measured)."""
    out = np.full(info.shape[0], np.inf)
    det = np.linalg.det(info)
    ok = np.isfinite(det) & (np.abs(det) > 0)
    if ok.any():
        e = np.zeros(N_PARAMS)
        e[CENTRE] = 1.0
        sol = np.linalg.solve(info[ok], np.broadcast_to(e, (int(ok.sum()), N_PARAMS))[..., None])[..., 0]
        var = sol[:, CENTRE]
        out[ok] = np.where(var > 0, var, np.inf)
    return out


def optimise_design(gradients, fixed_info, budget_pairs, iterations=300, rho=0.5):
    """Pairs per candidate frequency (K,) summing to ``budget_pairs`` that minimise the mean centre variance.

    gradients: (P, 4, K) from ``spectrum_gradients`` at the K candidates; fixed_info: (P, 4, 4) information
    already in hand (previous passes, baseline and exploration shares), which must make every M_p invertible
    together with a uniform design. Deterministic: starts from the uniform design, fixed iteration count.
    """
    p, _, k = gradients.shape
    if budget_pairs <= 0:
        return np.zeros(k)
    weights = np.full(k, budget_pairs / k)
    e = np.zeros(N_PARAMS)
    e[CENTRE] = 1.0
    for _ in range(int(iterations)):
        info = fixed_info + information(gradients, weights)
        inv_row = np.linalg.solve(info, np.broadcast_to(e, (p, N_PARAMS))[..., None])[..., 0]  # M^-1 e (symmetric)
        sensitivity = np.einsum("pak,pa->pk", gradients, inv_row)  # e^T M^-1 g_pk
        d = np.sum(sensitivity * sensitivity, axis=0)
        weights = weights * np.power(np.maximum(d, 0.0), rho)
        total = weights.sum()
        if not (np.isfinite(total) and total > 0):
            raise ValueError("the design's information vanished at every candidate frequency; the fitted lines lie "
                             "outside the sweep window or have no contrast: run a wider first pass.")
        weights *= budget_pairs / total
    return weights
