"""Cameras: the mock EMCCD on pylablib's camera interface and the PVCAM (Photometrics Evolve) driver.

``MockCamera`` imports pylablib's camera interface (about 2 s the first time); ``open_pvcam_camera`` imports
pylablib's PVCAM support only when called.
"""

from .frame_checks import FrameChecks, framestamp_gaps
from .interface import Camera
from .mock import MockCamera
from .pvcam import open_pvcam_camera, pvcam_camera_class

__all__ = [
    "Camera",
    "FrameChecks",
    "MockCamera",
    "framestamp_gaps",
    "open_pvcam_camera",
    "pvcam_camera_class",
]
