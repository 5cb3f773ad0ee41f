"""Typed errors of the instrument layer.

Every driver turns what went wrong at the transport or in the instrument into one of these, with a message that
says what happened, with the value, and what to do. Catch ``InstrumentError`` to catch them all.

    InstrumentError
    +-- InstrumentTimeoutError        no reply within the configured timeout
    |   +-- FrameTimeoutError         no camera frame within the configured timeout
    +-- InstrumentDisconnectedError   the connection is gone (socket closed, cable pulled, device lost)
    +-- InstrumentReplyError          a garbage/unparseable reply, or the instrument's own error queue reported an error
    +-- InstrumentLimitError          a setting outside the configured limits (checked before anything is sent)
    +-- DroppedFrameError             the camera lost frames of a sequence
    +-- DriverUnavailableError        the vendor library a real driver needs is not installed
    ConfigError (ValueError)          the configuration file is invalid (unknown key, wrong type, out of range)
"""


class InstrumentError(RuntimeError):
    """Base class of every instrument failure."""


class InstrumentTimeoutError(InstrumentError):
    """The instrument did not answer within the configured timeout."""


class InstrumentDisconnectedError(InstrumentError):
    """The connection to the instrument was lost."""


class InstrumentReplyError(InstrumentError):
    """The instrument answered something that cannot be parsed, or its error queue reported an error."""


class InstrumentLimitError(InstrumentError, ValueError):
    """A requested setting is outside the configured limits; nothing was sent to the instrument."""


class FrameTimeoutError(InstrumentTimeoutError):
    """No camera frame arrived within the timeout."""


class DroppedFrameError(InstrumentError):
    """The camera lost one or more frames of a sequence (the on/off pairing of the frames can no longer be
    trusted)."""


class DriverUnavailableError(InstrumentError):
    """A real driver needs a vendor library (or Python package) that is not installed on this machine."""


class ConfigError(ValueError):
    """The instrument configuration is invalid: the message names the key, the value and what is allowed."""
