"""What the drivers with a transport (SCPI generator, SC10, KSC101) share: setting a controller up right after
connecting without leaving a half-open connection behind, and closing a handle that may already be dead."""


def set_up_or_close(set_up, close):
    """Run ``set_up()`` (the first commands after opening the connection); on any failure, also an interrupt,
    call ``close()`` and re-raise, so that a controller that could not be put in its safe state is not left
    connected half-way."""
    try:
        set_up()
    except BaseException:
        close()
        raise


def close_quietly(handle, errors):
    """``handle.close()`` ignoring ``errors`` (the exception types a connection that is already gone raises);
    nothing when ``handle`` is None. Returns None, for ``self._handle = close_quietly(self._handle, ...)``."""
    if handle is not None:
        try:
            handle.close()
        except errors:
            pass
    return None
