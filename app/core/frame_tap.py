"""A camera wrapper that keeps the newest frame it grabbed, for the live camera view (pulled by the GUI)."""

import threading


class FrameTap:
    """Wraps the engine's camera: ``grab`` passes through and remembers the last frame; everything else is the
    camera's own (so ``getattr(tap, "supports_rf_gating", False)`` answers as the camera would)."""

    def __init__(self, camera):
        self._camera = camera
        self._lock = threading.Lock()
        self._frame = None
        self.version = 0

    def __getattr__(self, name):
        return getattr(self._camera, name)

    def grab(self, n, **kwargs):
        frames = self._camera.grab(n, **kwargs)
        with self._lock:
            self._frame = frames[-1] if len(frames) else self._frame
            self.version += 1
        return frames

    def latest(self):
        """(version, newest frame or None)."""
        with self._lock:
            return self.version, self._frame
