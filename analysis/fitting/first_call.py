"""Explicit numba signatures, compiled on the first call instead of at import."""

import threading

from numba import njit


def njit_on_first_call(signature, **options):
    """``njit(signature, **options)`` that compiles (or loads from the disk cache) on the first call, not
    at import: an eager signature compiles while the module is imported, so a cold cache made every command
    that imports ``analysis`` (even ``nvscope --help``) wait for tens of seconds.

    The first call from Python compiles exactly ``signature`` and then disables further compilation, as an
    eager signature does, so that a model passed in is typed as ``MODEL_TYPE`` (a function pointer, which
    the disk cache can key on) rather than as that one dispatcher (which it cannot: it would recompile in
    every process). Calls from other jitted code compile the caller's argument types, as usual.

    Threads making the first call at once take turns: without the lock, one thread's ``disable_compile``
    could come between another's check and its ``compile``, which then raised "compilation disabled" (an
    adaptive run's planning fit and its live fit met there).
    """

    def wrap(func):
        dispatcher = njit(**options)(func)
        lock = threading.Lock()

        def first_call(*args, **kwargs):
            with lock:
                if not dispatcher.signatures:
                    dispatcher.compile(signature)
                    dispatcher.disable_compile()
                # back to numba's own method for any later mismatch
                dispatcher.__dict__.pop("_compile_for_args", None)
            return dispatcher  # numba calls what this returns with the same arguments

        # numba's C dispatcher looks this attribute up on the instance when no compiled version matches
        # (when called from Python); it expects a callable back, which it then calls with the arguments
        dispatcher._compile_for_args = first_call
        return dispatcher

    return wrap
