"""The refinement's forward model: a point dipole along the NV axis plus a polynomial background, for the LM core.

Why a point dipole: a uniformly labelled sphere is exactly a point dipole at its centre, whatever its diameter,
and the random clusters of a real membrane add only weak, unknown higher multipoles. So the identifiable
parameters are the centre (x, y, z), the moment (iron mass) and the background; the diameter is not in this
model (it comes from the CNN, see ``docs/cells.md``).

Parameters (SI, in this order): x_m, y_m (centre in the snippet frame), z_m (height of the centre above the NV
layer), iron_mass_kg, background_t (constant C), then one coefficient (T) per extra background term, then
(x_m, y_m, z_m, iron_mass_kg) of each neighbouring cell modelled alongside (0 or more).
The data points: x[0] = x_m, x[1] = y_m of each pixel centre; x[2 + k] = the k-th extra background basis
function at that pixel (dimensionless, see ``background_basis``). consts = (u_x, u_y, u_z, k): the NV axis and
the number k of extra background terms.

B(p) = m_Fe * b1(p - c) + C + sum_k a_k basis_k(p), with b1 the B_NV of 1 kg of iron (moment 54.9 A m^2 along
u), from ``analysis.physics.projected_dipole_and_gradient`` (analytic Jacobian).
"""

import numpy as np

from analysis import physics
from analysis.fitting import lm_model

PARAM_NAMES = ("x_m", "y_m", "z_m", "iron_mass_kg", "background_t")
N_DIPOLE_PARAMS = 5
PARAMS_PER_NEIGHBOUR = 4
BACKGROUND_TERMS = {0: (), 1: ("gradient_x_t", "gradient_y_t"),
                    2: ("gradient_x_t", "gradient_y_t", "curvature_xx_t", "curvature_yy_t", "curvature_xy_t")}
_MOMENT_PER_KG = physics.MOMENT_PER_IRON_MASS_AM2_PER_KG


@lm_model
def dipole_snippet_model(params, x, consts, values, jac):
    """Sum over dipoles of m_Fe * b1(pixel - centre) + C + sum_k a_k x[2 + k]; see the module docstring."""
    ux, uy, uz = consts[0], consts[1], consts[2]
    n_extra = int(consts[3])
    n_pix = x.shape[1]
    first_neighbour = N_DIPOLE_PARAMS + n_extra
    n_dipoles = 1 + (params.shape[0] - first_neighbour) // PARAMS_PER_NEIGHBOUR
    for i in range(n_pix):
        values[i] = params[4]
        jac[4, i] = 1.0
    for d in range(n_dipoles):
        j = 0 if d == 0 else first_neighbour + PARAMS_PER_NEIGHBOUR * (d - 1)
        cx, cy, cz, mass = params[j], params[j + 1], params[j + 2], params[j + 3]
        for i in range(n_pix):
            b, gx, gy, gz = physics.projected_dipole_and_gradient(x[0, i] - cx, x[1, i] - cy, -cz,
                                                                  _MOMENT_PER_KG, ux, uy, uz)
            values[i] += mass * b
            jac[j, i] = -mass * gx
            jac[j + 1, i] = -mass * gy
            jac[j + 2, i] = -mass * gz
            jac[j + 3, i] = b
    for k in range(n_extra):
        a = params[N_DIPOLE_PARAMS + k]
        row = x[2 + k]
        for i in range(n_pix):
            values[i] += a * row[i]
            jac[N_DIPOLE_PARAMS + k, i] = row[i]


def background_basis(n_rows, n_cols, order):
    """(k, n_rows * n_cols) extra background terms beyond the constant, as in the training data: X, Y (centre 0,
    edge +-1), then X^2, Y^2, XY with their mean over the snippet removed (so C stays the snippet mean)."""
    if order not in BACKGROUND_TERMS:
        raise ValueError(f"background_order = {order!r}; use 0 (constant), 1 (plane) or 2 (quadratic).")
    gx, gy = np.meshgrid((np.arange(n_cols) - (n_cols - 1) / 2) / (n_cols / 2),
                         (np.arange(n_rows) - (n_rows - 1) / 2) / (n_rows / 2))
    terms = [gx, gy] if order >= 1 else []
    if order == 2:
        terms += [q - q.mean() for q in (gx * gx, gy * gy, gx * gy)]
    return np.array([t.ravel() for t in terms]).reshape(len(terms), n_rows * n_cols)


def model_points(x_m, y_m, order):
    """The core's x (2 + k, n): pixel x, y (m) of the (rows = y_m, cols = x_m) grid, then the background terms."""
    gx, gy = np.meshgrid(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64))
    basis = background_basis(len(y_m), len(x_m), order)
    return np.ascontiguousarray(np.vstack([gx.ravel(), gy.ravel(), basis]))
