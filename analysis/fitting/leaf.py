"""``njit_leaf``: numba compilation for the small kernels that the per-pixel fit calls thousands of times."""

from numba import njit
from numba.core import cpu

_NRT_OPTION = hasattr(cpu.CPUTargetOptions, "_nrt")
"""numba's (private) switch for reference counting: if a numba release drops it, the kernels compile as plain
``njit`` (the same answers, about 15 % slower) instead of failing."""


def njit_leaf(**options):
    """``njit(nogil=True, cache=True, **options)`` without numba's reference counting (NRT), for kernels that
    neither allocate nor return arrays (they read and write arrays their caller owns).

    With NRT, every call of a compiled function that numba does not inline increments and decrements the
    reference count of each array argument: two atomic operations per array per call, and arrays shared by
    all threads (the frequency axis, the line offsets) bounce their count's cache line between the cores.
    The per-pixel fit calls its kernels about 20 times per pixel with up to 23 arrays each; that was about
    15 % of ``fit_odmr``. A kernel compiled this way that tries to allocate fails to compile ("NRT required
    but not enabled"): give it plain ``njit`` instead.
    """
    if not _NRT_OPTION:
        return njit(nogil=True, cache=True, **options)
    return njit(nogil=True, cache=True, _nrt=False, **options)
