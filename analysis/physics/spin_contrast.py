"""The spin-contrast image: frames with microwaves on over frames with microwaves off (DESIGN section 2).

contrast = (on_sum - n dark) / (off_sum - n dark), with n the number of on/off pairs in the sums and dark the
camera's mean dark frame (bias and dark level, ADU), so the camera offset does not dilute the contrast.
"""

import numpy as np


def spin_contrast(on_sum, off_sum, n_pairs, dark_frame_adu=None, dtype=np.float64):
    """Spin contrast of one step (rows, cols) or a cube (n_steps, rows, cols).

    n_pairs: pairs in the sums, a number or one per step (broadcast over the frame); steps with no pairs,
    and pixels whose off signal is not above the dark level, give NaN.
    """
    on = np.asarray(on_sum, dtype=np.float64)
    off = np.asarray(off_sum, dtype=np.float64)
    n = np.asarray(n_pairs, dtype=np.float64)
    n = n.reshape(n.shape + (1,) * (on.ndim - n.ndim))
    dark = 0.0 if dark_frame_adu is None else np.asarray(dark_frame_adu, dtype=np.float64)
    signal_off = off - n * dark
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ((on - n * dark) / signal_off).astype(dtype)
    out[~((signal_off > 0) & (n > 0))] = np.nan
    return out
