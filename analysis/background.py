"""Robust removal of the smooth background field from a B_NV map, leaving the cells' dipole signatures.

The background (bias field, magnet gradients, stray fields) is modelled as a polynomial surface in the
normalised image coordinates X, Y in [-1, 1] (X along columns, Y along rows, as in the virtual sample):
B_bg = sum_{i + j <= order} c_ij X^i Y^j, a quadratic by default. Dipoles must not bend it, so it is fitted
by iterative sigma clipping: fit the surface by least squares to the pixels in use; estimate the noise
from the residuals' median absolute deviation (sigma = 1.4826 MAD); mark pixels whose residual is over
``clip_sigma`` sigma from the median; grow the marked regions by ``dilate_px`` pixels (a disk) so that the
dipoles' wings, too weak to be marked themselves, are left out as well; refit without them; repeat until
the set of pixels in use no longer changes, or the surface moves by less than 1 % of the noise between
two fits (or ``max_iter``).
"""

import numpy as np

MAD_TO_SIGMA = 1.4826
"""sigma = 1.4826 * median absolute deviation for Gaussian noise."""
DEFAULT_DILATION_M = 12e-6
"""How far beyond a marked dipole its wings are excluded when the pixel size is known (about a cell's height)."""
DEFAULT_DILATION_PX = 6
_MIN_USED_FRACTION = 0.1
_SETTLED_FRACTION_OF_NOISE = 0.01


def polynomial_terms(order):
    """Exponents (i, j) of X^i Y^j for a full polynomial of total degree <= order, constant first."""
    if isinstance(order, bool) or int(order) != order or order < 0:
        raise ValueError(f"order = {order!r}; give a whole number >= 0 (2 for a quadratic surface).")
    return [(i, d - i) for d in range(int(order) + 1) for i in range(d, -1, -1)]


def _design_matrix(n_rows, n_cols, terms):
    x, y = np.meshgrid(np.linspace(-1.0, 1.0, n_cols), np.linspace(-1.0, 1.0, n_rows))
    return np.stack([(x**i * y**j).ravel() for i, j in terms], axis=1)


def _least_squares(design, values, used):
    """Coefficients c minimising |design @ c - values|^2 over the pixels ``used`` (flat bool; design's first
    column is the constant term), by the normal equations with the unused pixels weighted zero, about the used
    values' mean. Matrix products and element-wise operations release the GIL, where ``np.linalg.lstsq`` held it
    for its whole LAPACK call (5-10 ms at 256 x 256, longer when the thread was preempted): the live fit runs
    this beside the GUI thread. The terms are monomials of X, Y in [-1, 1] with columns of order one, and the
    mean (the bias field, 10^4 times the variations) is taken out first, so the normal equations lose nothing
    that matters (agreement with ``lstsq`` to ~1e-15 of the bias at order 3); a singular system (too few
    distinct pixels) falls back to ``lstsq``."""
    weights = used.astype(np.float64)
    centred = np.where(used, values, 0.0)
    offset = centred.sum() / max(weights.sum(), 1.0)
    centred -= offset * weights
    try:
        coeffs = np.linalg.solve((design * weights[:, None]).T @ design, design.T @ centred)
    except np.linalg.LinAlgError:
        coeffs = np.linalg.lstsq(design[used], centred[used], rcond=None)[0]
    coeffs[0] += offset
    return coeffs


def dilate(mask, radius_px):
    """Binary dilation of a boolean map by a disk of ``radius_px`` pixels (which may be larger than the map)."""
    out = mask.copy()
    r = int(radius_px)
    rows, cols = mask.shape
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if (dx or dy) and dx * dx + dy * dy <= r * r and abs(dy) < rows and abs(dx) < cols:
                src = mask[max(0, -dy): rows - max(0, dy), max(0, -dx): cols - max(0, dx)]
                out[max(0, dy): rows - max(0, -dy), max(0, dx): cols - max(0, -dx)] |= src
    return out


def remove_background(b_nv_map_t, order=2, mask=None, clip_sigma=3.0, max_iter=10, pixel_size_m=None,
                      dilate_px=None):
    """Fit and subtract a robust polynomial background from a B_NV map (T).

    b_nv_map_t: (rows, cols) field, NaN where unknown (unfitted pixels are ignored). order: total degree of
    the surface (2: quadratic). mask: bool map of pixels that may be used (False: never used, e.g. known
    cells). clip_sigma: residuals beyond this many robust sigmas mark a signature. dilate_px: growth of the
    marked regions in pixels; by default 12 um / ``pixel_size_m`` when the pixel size is given, else 6.
    Returns (background_t, residual_t, info): the surface evaluated at every pixel (including the constant,
    i.e. the bias), the map minus it, and a dict with ``coefficients_t`` (for ``terms``, exponents of X^i
    Y^j), ``used`` (pixels in the final fit), ``noise_t`` (robust sigma of the final residuals), ``n_iter``,
    ``converged`` (the used set or the surface stopped changing) and ``dilate_px``.
    """
    b = np.asarray(b_nv_map_t, dtype=np.float64)
    if b.ndim != 2:
        raise ValueError(f"b_nv_map_t has shape {b.shape}; give a (rows, cols) field map.")
    if not clip_sigma > 0:
        raise ValueError(f"clip_sigma = {clip_sigma!r} must be positive (typically 3).")
    terms = polynomial_terms(order)
    valid = np.isfinite(b)
    if mask is not None:
        m = np.asarray(mask)
        if m.shape != b.shape or m.dtype != bool:
            raise ValueError(f"mask has shape {m.shape} and dtype {m.dtype}; give a boolean map of shape {b.shape}.")
        valid &= m
    if valid.sum() < 3 * len(terms):
        raise ValueError(f"only {int(valid.sum())} usable pixels for a surface of {len(terms)} terms (order {order}); "
                         "give more finite, unmasked pixels or a lower order.")
    if dilate_px is None:
        dilate_px = DEFAULT_DILATION_PX if pixel_size_m is None else round(DEFAULT_DILATION_M / pixel_size_m)
    design = _design_matrix(*b.shape, terms)
    flat = b.ravel()
    used = valid.copy()
    converged = False
    n_iter = 0
    surface = np.zeros(flat.shape)
    for n_iter in range(1, int(max_iter) + 1):
        coeffs = _least_squares(design, flat, used.ravel())
        previous, surface = surface, design @ coeffs
        residual = (flat - surface).reshape(b.shape)
        centre = np.median(residual[used])
        sigma = MAD_TO_SIGMA * np.median(np.abs(residual[used] - centre))
        if n_iter > 1 and np.max(np.abs(surface - previous)) <= _SETTLED_FRACTION_OF_NOISE * sigma:
            converged = True  # the surface no longer moves (the used set may still flicker at its edges)
            break
        outliers = valid & (np.abs(residual - centre) > clip_sigma * sigma)
        new_used = valid & ~dilate(outliers, dilate_px)
        if new_used.sum() < max(_MIN_USED_FRACTION * valid.sum(), 3 * len(terms)):
            break  # signatures everywhere: keep the last fit rather than fit to a few scattered pixels
        if np.array_equal(new_used, used):
            converged = True
            break
        used = new_used
    background = surface.reshape(b.shape)
    final = (b - background)[used]
    noise = MAD_TO_SIGMA * float(np.median(np.abs(final - np.median(final))))
    info = {"coefficients_t": coeffs, "terms": terms, "used": used, "noise_t": noise, "n_iter": n_iter,
            "converged": converged, "dilate_px": int(dilate_px)}
    return background, b - background, info
