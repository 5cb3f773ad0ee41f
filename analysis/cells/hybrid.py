"""The hybrid estimate: the physics fit and the CNN combined by their uncertainties (grey-box step).

Both answer with a Gaussian in q = (x, y, z, ln m) (x, y, z in metres, m the iron mass):

- physics (stage A of ``refine_snippets``): the fit's covariance, scaled by max(1, reduced chi2) * F (misfit
  and correlated residuals, see ``refine``) and by ``PHYSICS_ERROR_SCALE``^2, plus a *model floor*: the
  point dipole is exact only for a uniformly labelled cell; for a membrane with random clusters its answer
  is off by an amount that grows as the cell comes closer to the sensor relative to its size. Measured on
  noiseless simulated snippets (random clusters, no neighbours, no background; the point-dipole fit started
  from the truth), the median errors follow (d/z)^2 laws closely over z/d = 0.5-8: |ln m| 0.10 (d/z)^2,
  |z| 0.08 d^2/z, per-axis position 0.07 d^2/z; times 1.4826 these are the floor's sigmas (``FLOOR_*``).
  d is the CNN's diameter, z the CNN's.
- CNN: its held-out scatter at this peak SNR (``cnn_errors.cnn_sigmas``), independent between parameters.

Combined by generalised least squares: the two answers are two measurements of q whose errors are
correlated (both read the same random clusters; correlation ``ERROR_CORRELATION``), so the combined error
does not shrink as if they were independent; with no correlation this is inverse-variance weighting,
q = P^-1 (C_phys^-1 q_phys + C_cnn^-1 q_cnn), P = C_phys^-1 + C_cnn^-1. A snippet the point dipole
describes to the noise (faint or distant cells, clean surroundings) follows the fit; a close, strong cell
with random clusters, or a snippet with unmodelled structure, leans on the CNN. Where the two disagree by
more than ``DISAGREE_SIGMAS`` sigmas of their difference in z or ln m, one of them is wrong; the point
dipole's failures (a neighbour it took for part of the cell, a bad local minimum) are the likelier, so the
CNN's answer is kept and the cell flagged CNN_REFINEMENT_DISAGREE.
"""

import numpy as np

DISAGREE_SIGMAS = 3.0
"""Physics and CNN further apart than this many combined sigmas in z or ln(mass): one of them is wrong."""
PHYSICS_ERROR_SCALE = 3.0
"""The fit's errors are multiplied by this before combining. Even scaled by the misfit, they are too small
where neighbours or random clusters bias the point dipole; chosen on a validation set (800 snippets, seed
4243, not the accuracy report's 4242; CNN: an intermediate checkpoint of the committed model's training) as
the value, among 1, 2, 3, 5, 8, that gave the hybrid's smallest median mass error (a shallow optimum: 16.7,
15.9, 15.4, 15.6, 16.2 %)."""
ERROR_CORRELATION = 0.4
"""Correlation of the fit's and the CNN's errors in the same parameter (both read the same random clusters):
measured 0.2-0.5 (ln m, z, x; Pearson of the normalised errors) on 800 held-out snippets (seed 4243, an
early checkpoint of the CNN)."""

NEIGHBOUR_ERROR_SCALE = 1.35
"""The combined errors of a cell whose fit modelled neighbouring dipoles are multiplied by this. Neighbours
bias both answers in ways neither error describes: on 800 validation snippets (seed 4243, the first CNN)
the median |pull| of such cells was 0.85-0.99 (ln m, z, x), against 0.67 for Gaussian errors; cells fitted
without neighbours were at 0.54-0.72 and keep their errors."""
DISAGREE_ERROR_SCALE = 1.35
"""The same for cells where fit and CNN disagreed (the CNN's answer kept): median |pull| 0.68-1.23 there."""

FLOOR_LN_MASS = 1.4826 * 0.10
"""sigma of ln(mass) of the point dipole for a random-cluster cell: FLOOR_LN_MASS * (d / z)^2."""
FLOOR_Z = 1.4826 * 0.08
"""sigma of z (m): FLOOR_Z * d^2 / z."""
FLOOR_XY = 1.4826 * 0.07
"""sigma of x and of y (m): FLOOR_XY * d^2 / z."""


def model_floor_sigmas(diameter_m, z_m):
    """(sigma_x, sigma_y, sigma_z, sigma_ln_m) of the point dipole's own error for cells of this size and height."""
    d = np.asarray(diameter_m, dtype=np.float64)
    z = np.maximum(np.asarray(z_m, dtype=np.float64), 1e-7)
    xy = FLOOR_XY * d * d / z
    return xy, xy.copy(), FLOOR_Z * d * d / z, FLOOR_LN_MASS * (d / z) ** 2


def error_calibration(n_neighbours, disagree):
    """Factor (N,) on the hybrid's one-sigma errors: NEIGHBOUR_ERROR_SCALE where the fit modelled neighbours,
    DISAGREE_ERROR_SCALE where fit and CNN disagreed, both multiplied where both hold."""
    scale = np.where(np.asarray(n_neighbours) > 0, NEIGHBOUR_ERROR_SCALE, 1.0)
    return scale * np.where(np.asarray(disagree, dtype=bool), DISAGREE_ERROR_SCALE, 1.0)


def combine(q_phys, cov_phys, q_cnn, sigma_cnn, correlation=ERROR_CORRELATION):
    """Generalised least-squares combination of two (N, 4) estimates of the same q, the fit's with covariance
    (N, 4, 4), the CNN's with independent sigmas (N, 4), whose errors are correlated: cross-covariance
    rho C_phys^1/2 C_cnn^1/2, rho = ``correlation`` capped at the smallest sigma_small / sigma_large over the
    parameters (so that the weights stay positive).

    Returns (q (N, 4), cov (N, 4, 4), disagree (N,) bool). Where they disagree (or the fit's covariance is
    singular) the CNN's answer and covariance are returned."""
    q_phys = np.asarray(q_phys, dtype=np.float64)
    sigma_cnn = np.asarray(sigma_cnn, dtype=np.float64)
    n = len(q_phys)
    idx = np.arange(4)
    q = np.array(q_cnn, dtype=np.float64)
    cov = np.zeros((n, 4, 4))
    cov[:, idx, idx] = sigma_cnn**2
    sigma_phys = np.sqrt(np.diagonal(cov_phys, axis1=1, axis2=2))
    rho = np.minimum(correlation, np.min(np.minimum(sigma_phys, sigma_cnn) / np.maximum(sigma_phys, sigma_cnn),
                                         axis=1))
    design = np.vstack([np.eye(4), np.eye(4)])
    disagree = np.zeros(n, dtype=bool)
    for i in range(n):
        # cross-covariance rho C_phys^1/2 C_cnn^1/2: a valid joint covariance for any |rho| < 1
        values, vectors = np.linalg.eigh(cov_phys[i]) if np.all(np.isfinite(cov_phys[i])) else (None, None)
        if values is None or np.any(values <= 0.0):
            disagree[i] = True
            continue
        root = (vectors * np.sqrt(values)) @ vectors.T
        cross = rho[i] * root * sigma_cnn[i][None, :]
        diff_var = np.diagonal(cov_phys[i]) + sigma_cnn[i] ** 2 - 2.0 * np.diagonal(cross)
        if np.any(np.abs(q_phys[i] - q[i])[2:] > DISAGREE_SIGMAS * np.sqrt(diff_var[2:])):
            disagree[i] = True
            continue
        v = np.block([[cov_phys[i], cross], [cross.T, np.diag(sigma_cnn[i] ** 2)]])
        w = np.linalg.inv(v)
        cov[i] = np.linalg.inv(design.T @ w @ design)
        q[i] = cov[i] @ (design.T @ w @ np.concatenate([q_phys[i], q[i]]))
    return q, cov, disagree
