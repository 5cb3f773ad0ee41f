"""Checks and reshaping before the per-pixel fits: input validation, binning, masks, frequency order."""

import numpy as np
from numba import njit, prange

from .models import MODELS


def check_inputs(cube, freq_hz, model, transitions, n_lines):
    """Validate and return (cube float64 (rows, cols, n), freq float64 (n,), n_groups). Raises ValueError."""
    if model not in MODELS:
        raise ValueError(f"model {model!r} is not known; use one of {MODELS}.")
    if transitions not in (1, 2):
        raise ValueError(f"transitions = {transitions!r}; use 1 (one transition, B_NV needs D) or 2 (f-, f+).")
    if model == "free":
        if n_lines is None or int(n_lines) != n_lines or n_lines < 1:
            raise ValueError(f"model 'free' needs n_lines, a whole number >= 1 of Lorentzians; got {n_lines!r}.")
        if n_lines % transitions:
            raise ValueError(f"n_lines = {n_lines} free Lorentzians cannot be shared equally over {transitions} "
                             "transitions; give an even n_lines for two transitions.")
        n_groups = int(n_lines)
    else:
        if n_lines is not None:
            raise ValueError(f"n_lines = {n_lines!r} applies to model 'free' only; model {model!r} fixes its lines.")
        n_groups = transitions
    arr = np.asarray(cube)
    if arr.ndim != 3:
        raise ValueError(f"cube has shape {arr.shape}; expected (rows, cols, n_freq), a spectrum per pixel.")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"cube has dtype {arr.dtype}; give numbers (PL counts or spin contrast).")
    freq = np.asarray(freq_hz, dtype=np.float64)
    if freq.ndim != 1 or freq.shape[0] != arr.shape[2]:
        raise ValueError(f"freq_hz has shape {freq.shape} but the cube has {arr.shape[2]} frequency points "
                         f"(cube shape {arr.shape}); give one frequency per spectral point.")
    if not np.all(np.isfinite(freq)):
        raise ValueError(f"freq_hz has {int(np.sum(~np.isfinite(freq)))} non-finite values; give real frequencies "
                         "in Hz.")
    if np.unique(freq).shape[0] != freq.shape[0]:
        raise ValueError("freq_hz has repeated frequencies; average repeated points into one before fitting.")
    n_params = 1 + 3 * n_groups
    if freq.shape[0] < n_params + 3:
        raise ValueError(f"{freq.shape[0]} frequency points are too few for model {model!r} with {n_params} "
                         f"parameters; give at least {n_params + 3}.")
    return arr.astype(np.float64, copy=False), freq, n_groups


def bin_pixels(cube, binning):
    """Average bin x bin blocks of pixels (rows and columns beyond a whole block are dropped).

    Averaging rather than summing keeps spin-contrast baselines near 1; for the fit it is the same (the
    baseline is a free parameter). Returns cube of shape (rows // bin, cols // bin, n).
    """
    rows, cols, n = cube.shape
    if isinstance(binning, bool) or int(binning) != binning or binning < 1 or binning > min(rows, cols):
        raise ValueError(f"binning = {binning!r}; give a whole number from 1 to {min(rows, cols)} (the image is "
                         f"{rows} x {cols}).")
    b = int(binning)
    if b == 1:
        return cube
    r, c = rows // b, cols // b
    return cube[: r * b, : c * b].reshape(r, b, c, b, n).mean(axis=(1, 3))


def bin_sigma(sigma, cube_shape, binning):
    """Per-point sigma broadcast to the cube and propagated through the bin average: sqrt(sum s^2) / b^2."""
    s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), cube_shape)
    if binning == 1:
        return np.ascontiguousarray(s)
    return np.sqrt(bin_pixels(s * s, binning) / (binning * binning))


def binned_mask(mask, full_shape, binned_shape, binning):
    """Boolean map of pixels to fit at the binned resolution.

    A mask of the binned shape is used as it is; one of the full shape is reduced so that a block is fitted
    when any of its pixels is selected.
    """
    if mask is None:
        return np.ones(binned_shape, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != bool:
        raise ValueError(f"mask has dtype {m.dtype}; give a boolean map (True = fit this pixel).")
    if m.shape == binned_shape:
        return m
    if m.shape == full_shape:
        r, c = binned_shape
        return m[: r * binning, : c * binning].reshape(r, binning, c, binning).any(axis=(1, 3))
    raise ValueError(f"mask has shape {m.shape}; give the image's shape {full_shape}"
                     + (f" or the binned shape {binned_shape}." if binning > 1 else "."))


def contrast_cube(on_sum, off_sum, n_pairs, dark_frame_adu, steps):
    """The fit's input straight from the session's sums: spin contrast (rows, cols, len(steps)) float64.

    The same numbers as ``analysis.physics.spin_contrast(on_sum, off_sum, n_pairs, dark)[steps]`` moved to
    pixel-major order (NaN where a step has no pairs or the off signal is not above the dark level), but
    in one pass that writes only the output: no float64 copies of the sums, no (steps, rows, cols)
    temporary, no transposed copy. on_sum, off_sum (n_steps, rows, cols) arrays (any real dtype);
    n_pairs (n_steps,); dark_frame_adu (rows, cols) or None; steps: the step indices to use, in order.
    """
    steps = np.ascontiguousarray(steps, dtype=np.int64)
    on = np.asarray(on_sum)
    off = np.asarray(off_sum)
    if on.ndim != 3 or off.shape != on.shape:
        raise ValueError(f"on_sum {on.shape} and off_sum {off.shape} must be the same (n_steps, rows, cols) shape.")
    rows, cols = on.shape[1:]
    dark = np.zeros((rows, cols)) if dark_frame_adu is None else np.asarray(dark_frame_adu, dtype=np.float64)
    out = np.empty((rows, cols, steps.size))
    _contrast_kernel(on, off, np.asarray(n_pairs, dtype=np.float64), dark, steps, out)
    return out


@njit(nogil=True, parallel=True, cache=True, error_model="numpy")
def _contrast_kernel(on, off, n_pairs, dark, steps, out):
    # steps innermost: the output is written contiguously, and the 2 x len(steps) cache lines of the sums
    # read for one pixel serve the next seven pixels of the row too
    for r in prange(on.shape[1]):
        for c in range(on.shape[2]):
            d = dark[r, c]
            for k in range(steps.shape[0]):
                s = steps[k]
                n = n_pairs[s]
                signal_off = off[s, r, c] - n * d
                if signal_off > 0.0 and n > 0.0:
                    out[r, c, k] = (on[s, r, c] - n * d) / signal_off
                else:
                    out[r, c, k] = np.nan
