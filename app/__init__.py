"""The app: ``core`` (no Qt), ``gui`` (the only place that imports Qt) and ``cli`` (the ``nvscope`` command)."""

import os

# The app runs its own worker threads (sweep, live fit, cell analysis) next to the GUI thread; a BLAS pool that
# spins on every core as well starves the GUI on a small machine (bench_gui_responsiveness). Set before numpy
# is imported; a user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
