"""Put sweeps with different frequency lists and pair counts together for one weighted fit.

Each pass (a uniform first pass, an adaptive pass, possibly its own session) gives a spin-contrast cube over its
own frequencies and the on/off pairs behind each step. The combined spectrum has one point per distinct
frequency: the pair-weighted mean of the passes' values there (equal to the ratio of the added sums to well below
the noise, the off-resonance PL being the same in every pass), and the relative standard deviation
1 / sqrt(pairs) that ``analysis.odmr.fit_odmr(..., sigma=...)`` takes as per-point weights (the covariance is
then scaled by the fit's reduced chi2, so the noise's absolute scale need not be known).
"""

import os

import numpy as np


def session_pass(session):
    """(freq_hz, cube (rows, cols, n), n_pairs) of a read session (``analysis.session.read_session``): one pass for
    ``combine_passes``; steps a stopped sweep never reached have no pairs and are left out there."""
    return session.freq_hz, np.moveaxis(session.spin_contrast(), 0, -1), session.n_pairs


def first_pass_of(session):
    """The path of the first pass an adaptive session names (``sample_metadata["first_pass"]``, relative to the
    session's own folder unless absolute), or None for a session that is a whole measurement by itself."""
    name = (session.sample_metadata or {}).get("first_pass")
    if not name:
        return None
    return name if os.path.isabs(name) else os.path.join(os.path.dirname(os.path.abspath(session.path)), name)


def session_passes(session, read):
    """Every pass of a measurement as ``session_pass`` tuples: the session's own, after the first pass it names
    (read with ``read(path)``, e.g. ``analysis.session.read_session``) when it is an adaptive pass."""
    path = first_pass_of(session)
    if path is None:
        return [session_pass(session)]
    if not os.path.exists(path):
        raise FileNotFoundError(f"{session.path} is the adaptive pass of {path}, which is not there; keep the "
                                "first pass's file next to it (the two files form one measurement).")
    return [session_pass(read(path)), session_pass(session)]


def combine_passes(passes):
    """passes: iterable of (freq_hz (n,), cube (rows, cols, n), pairs (n,)) -> (freq_hz (m,) sorted and unique to
    1 Hz, cube (rows, cols, m) float64, pairs (m,) int64, sigma (m,) = 1 / sqrt(pairs)).

    Steps with no pairs (a sweep stopped early) are left out; steps whose cube is not finite at a pixel leave
    that pixel NaN at that frequency only if no other pass measured it there.
    """
    freqs, cubes, counts = [], [], []
    shape = None
    for freq_hz, cube, pairs in passes:
        f = np.asarray(freq_hz, dtype=np.float64).ravel()
        c = np.asarray(cube, dtype=np.float64)
        n = np.broadcast_to(np.asarray(pairs, dtype=np.int64), f.shape)
        if c.ndim != 3 or c.shape[2] != f.size:
            raise ValueError(f"a pass has a cube of shape {c.shape} for {f.size} frequencies; give (rows, cols, "
                             "n_freq) with one spectral point per frequency.")
        if shape is not None and c.shape[:2] != shape:
            raise ValueError(f"passes have different image shapes {shape} and {c.shape[:2]}; combine passes of the "
                             "same camera region and binning only.")
        shape = c.shape[:2]
        done = n > 0
        freqs.append(f[done])
        cubes.append(c[:, :, done])
        counts.append(n[done])
    if shape is None or sum(f.size for f in freqs) == 0:
        raise ValueError("no pass with measured steps to combine; give at least one pass with pairs > 0.")
    f_all = np.round(np.concatenate(freqs))
    n_all = np.concatenate(counts).astype(np.float64)
    cube_all = np.concatenate(cubes, axis=2)
    unique, inverse = np.unique(f_all, return_inverse=True)
    finite = np.isfinite(cube_all)
    weighted = np.where(finite, cube_all, 0.0) * n_all
    sums = np.zeros((*shape, unique.size))
    weight = np.zeros((*shape, unique.size))
    for k, u in enumerate(inverse):  # a few hundred steps at most: a loop keeps memory at one cube
        sums[:, :, u] += weighted[:, :, k]
        weight[:, :, u] += np.where(finite[:, :, k], n_all[k], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = np.where(weight > 0, sums / weight, np.nan)
    pairs = np.bincount(inverse, weights=n_all, minlength=unique.size).astype(np.int64)
    return unique, combined, pairs, 1.0 / np.sqrt(pairs)
