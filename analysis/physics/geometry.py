"""NV axis and pixel-grid geometry (DESIGN section 2, "Geometry").

Image axes: x grows with the column index, y with the row index, origin at the centre of the first pixel;
the azimuth is measured from +x towards +y; z points from the NV layer (z = 0) towards the cells.
"""

import math

import numpy as np

from .constants import DEFAULT_NV_AZIMUTH_DEG, NV_POLAR_ANGLE_DEG
from .validation import require_finite, require_positive


def nv_axis(polar_deg=NV_POLAR_ANGLE_DEG, azimuth_deg=DEFAULT_NV_AZIMUTH_DEG):
    """Unit vector u of the NV axis: polar angle from the surface normal (+z), azimuth from +x towards +y.

    For a [100] diamond every NV axis has polar angle arccos(1/sqrt(3)) = 54.7356 deg.
    """
    require_finite("polar_deg", polar_deg, "deg")
    require_finite("azimuth_deg", azimuth_deg, "deg")
    theta = math.radians(polar_deg)
    phi = math.radians(azimuth_deg)
    return np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)])


def pixel_coordinates_m(n_rows, n_cols, pixel_size_m, origin_xy_m=(0.0, 0.0)):
    """x (per column) and y (per row) of pixel centres in metres; pixel (0, 0) sits at ``origin_xy_m``."""
    require_positive("pixel_size_m", pixel_size_m, "m")
    x = origin_xy_m[0] + np.arange(n_cols, dtype=np.float64) * pixel_size_m
    y = origin_xy_m[1] + np.arange(n_rows, dtype=np.float64) * pixel_size_m
    return x, y
