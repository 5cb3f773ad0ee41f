import os

# Qt tests run without a display (CI has none).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
