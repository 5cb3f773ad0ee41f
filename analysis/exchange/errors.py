"""Errors of import and export. Every one is a ValueError (or FileNotFoundError) whose message says what
was wrong, with the value, and what to do."""


class ExchangeError(ValueError):
    """Base class: a source file or a request cannot be imported or exported as asked."""


class SourceNotFoundError(ExchangeError, FileNotFoundError):
    """The source file does not exist."""


class UnsupportedFormatError(ExchangeError):
    """The file's extension or content is not one of the formats nvscope reads or writes."""


class MissingVariableError(ExchangeError, KeyError):
    """A named variable (cube_var, freq_var, map_var) is not in the file; the message lists those present."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ShapeError(ExchangeError):
    """An array has the wrong number of dimensions, or the cube and its frequency list disagree."""


class UnitsError(ExchangeError):
    """Units are unknown, or the values cannot be in the units stated or inferred."""


class FrequencyOrderError(ExchangeError):
    """The frequency list is not strictly increasing."""


class EmptyDataError(ExchangeError):
    """The data hold no finite value (all NaN or infinite)."""
