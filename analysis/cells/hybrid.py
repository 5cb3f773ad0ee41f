"""The hybrid estimate: the physics fit and the CNN combined by their uncertainties (grey-box step).

Both answer with a Gaussian in q = (x, y, z, ln m) (x, y, z in metres, m the iron mass):

- physics (stage A of ``refine_snippets``): the fit's covariance, scaled by max(1, reduced chi2) * F (misfit
  and correlated residuals, see ``refine``), plus a *model floor*: the point dipole is exact only for a
  uniformly labelled cell; for a membrane with random clusters its answer is off by an amount that grows as
  the cell comes closer to the sensor relative to its size. Measured on noiseless simulated snippets (random
  clusters, no neighbours, no background; the point-dipole fit started from the truth), the median errors
  follow (d/z)^2 laws closely over z/d = 0.5-8: |ln m| 0.10 (d/z)^2, |z| 0.08 d^2/z, per-axis position
  0.07 d^2/z; times 1.4826 these are the floor's sigmas (``FLOOR_*``). d is the CNN's diameter, z the CNN's.
- CNN: its held-out scatter at this peak SNR (``cnn_errors.cnn_sigmas``), independent between parameters.

Combined by inverse-variance weighting, P = C_phys^-1 + C_cnn^-1, q = P^-1 (C_phys^-1 q_phys + C_cnn^-1 q_cnn),
covariance P^-1. A snippet the point dipole describes to the noise (faint or distant cells, clean
surroundings) follows the fit; a close, strong cell with random clusters, or a snippet with unmodelled
structure, leans on the CNN. Where the two disagree by more than ``DISAGREE_SIGMAS`` combined sigmas in z or
ln m, one of them is wrong; the point dipole's failures (a neighbour it took for part of the cell, a bad
local minimum) are the likelier, so the CNN's answer is kept and the cell flagged CNN_REFINEMENT_DISAGREE.
"""

import numpy as np

DISAGREE_SIGMAS = 3.0
"""Physics and CNN further apart than this many combined sigmas in z or ln(mass): one of them is wrong."""

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


def combine(q_phys, cov_phys, q_cnn, sigma_cnn):
    """Inverse-variance combination of (N, 4) estimates q with (N, 4, 4) and (N, 4) uncertainties.

    Returns (q (N, 4), cov (N, 4, 4), disagree (N,) bool). Where they disagree (or the physics covariance is
    singular) the CNN's answer and covariance are returned."""
    q_phys = np.asarray(q_phys, dtype=np.float64)
    p_cnn = np.zeros_like(cov_phys)
    idx = np.arange(4)
    p_cnn[:, idx, idx] = 1.0 / np.asarray(sigma_cnn, dtype=np.float64) ** 2
    q = np.array(q_cnn, dtype=np.float64)
    cov = np.zeros_like(cov_phys)
    cov[:, idx, idx] = 1.0 / p_cnn[:, idx, idx]
    sigma_cnn = np.asarray(sigma_cnn, dtype=np.float64)
    diff = np.abs(q_phys - q)[:, 2:] / np.sqrt(np.diagonal(cov_phys, axis1=1, axis2=2)[:, 2:] + sigma_cnn[:, 2:] ** 2)
    disagree = ~np.all(diff <= DISAGREE_SIGMAS, axis=1)  # NaN (singular fit) counts as disagreeing
    for i in np.flatnonzero(~disagree):
        try:
            p_phys = np.linalg.inv(cov_phys[i])
        except np.linalg.LinAlgError:
            continue
        if not np.all(np.isfinite(p_phys)):
            continue
        precision = p_phys + p_cnn[i]
        cov[i] = np.linalg.inv(precision)
        q[i] = cov[i] @ (p_phys @ q_phys[i] + p_cnn[i] @ q[i])
    return q, cov, disagree
