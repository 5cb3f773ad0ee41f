"""The server side of SCPI, as much as the mock generator needs: program messages, headers in short and long
form (case-insensitive, optional nodes, numeric suffix 1), numbers with unit suffixes, booleans, and the
standard error codes (IEEE 488.2 / SCPI-99 chapter 21).

Header notation as in the manuals: ``[SOURce]:FREQuency[:CW]`` — the upper-case part is the short form, the
whole word the long form, brackets mark optional nodes.
"""

import re
from dataclasses import dataclass

# SCPI-99 standard error codes used by the mock
NO_ERROR = (0, "No error")
SYNTAX_ERROR = (-102, "Syntax error")
DATA_TYPE_ERROR = (-104, "Data type error")
PARAMETER_NOT_ALLOWED = (-108, "Parameter not allowed")
MISSING_PARAMETER = (-109, "Missing parameter")
UNDEFINED_HEADER = (-113, "Undefined header")
INVALID_SUFFIX = (-131, "Invalid suffix")
DATA_OUT_OF_RANGE = (-222, "Data out of range")
QUEUE_OVERFLOW = (-350, "Queue overflow")


class ScpiError(Exception):
    """A command the instrument rejects; ``code`` and ``text`` go to its error queue."""

    def __init__(self, error, detail=""):
        self.code, self.text = error
        self.detail = detail
        super().__init__(f"{self.code},{self.text}" + (f"; {detail}" if detail else ""))


@dataclass(frozen=True)
class Node:
    short: str
    long: str
    optional: bool

    def matches(self, token):
        word = token.upper()
        if word.endswith("1") and len(word) > 1 and word[-2].isalpha():
            word = word[:-1]  # numeric suffix: SOURce1, OUTPut1 (only channel 1 exists)
        return word in (self.short, self.long)


_PATTERN_TOKEN = re.compile(r"\[:?(\*?[A-Za-z]+\??)\]|:?(\*?[A-Za-z]+\??)")


def compile_header(pattern):
    """``"[SOURce]:FREQuency[:CW]"`` -> tuple of ``Node``s."""
    nodes = []
    for optional_word, word in _PATTERN_TOKEN.findall(pattern):
        text = (optional_word or word).rstrip("?")
        short = "".join(c for c in text if not c.islower()).upper()
        nodes.append(Node(short, text.upper(), bool(optional_word)))
    return tuple(nodes)


def header_matches(nodes, tokens):
    """True if the header ``tokens`` (already split on ':') match the pattern ``nodes``."""
    if not nodes:
        return not tokens
    node, rest = nodes[0], nodes[1:]
    if tokens and node.matches(tokens[0]) and header_matches(rest, tokens[1:]):
        return True
    return node.optional and header_matches(rest, tokens)


@dataclass(frozen=True)
class Command:
    """One message unit: ``tokens`` of the full (absolute) header, whether it is a query, its argument text."""

    tokens: tuple
    query: bool
    argument: str
    text: str


def split_program_message(line):
    """Split one line (a program message) into ``Command``s, resolving SCPI's compound-header rule: a unit
    after ``;`` that does not start with ``:`` or ``*`` is relative to the path of the unit before it; each
    line starts at the root."""
    commands = []
    path = ()
    for unit in line.split(";"):
        unit = unit.strip()
        if not unit:
            continue
        head, _, argument = unit.partition(" ")
        head, argument = head.strip(), argument.strip()
        query = head.endswith("?")
        head = head.rstrip("?")
        if not head or not re.fullmatch(r":?\*?[A-Za-z0-9]+(:[A-Za-z0-9]+)*", head):
            raise ScpiError(SYNTAX_ERROR, f"cannot parse {unit!r}")
        if head.startswith("*"):
            tokens = (head.upper(),)
        elif head.startswith(":"):
            tokens = tuple(head[1:].split(":"))
            path = tokens[:-1]
        else:
            tokens = path + tuple(head.split(":"))
            path = tokens[:-1]
        commands.append(Command(tokens, query, argument, unit))
    return commands


_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")
FREQUENCY_UNITS = {"": 1.0, "HZ": 1.0, "KHZ": 1e3, "MHZ": 1e6, "GHZ": 1e9}
"""SCPI suffixes are case-insensitive; for frequency, MHZ is megahertz by the standard's convention."""
POWER_UNITS = {"": 1.0, "DBM": 1.0}


def parse_numeric(argument, units, low=None, high=None):
    """A number with an optional unit suffix from ``units`` (multipliers), also MIN/MAX; range-checked."""
    text = argument.strip()
    if not text:
        raise ScpiError(MISSING_PARAMETER)
    keyword = text.upper()
    if keyword in ("MIN", "MINIMUM") and low is not None:
        return low
    if keyword in ("MAX", "MAXIMUM") and high is not None:
        return high
    match = _NUMBER.match(text)
    if not match:
        raise ScpiError(DATA_TYPE_ERROR, f"{text!r} is not a number")
    suffix = match.group(2).upper()
    if suffix not in units:
        raise ScpiError(INVALID_SUFFIX, f"{match.group(2)!r}")
    value = float(match.group(1)) * units[suffix]
    if (low is not None and value < low) or (high is not None and value > high):
        raise ScpiError(DATA_OUT_OF_RANGE, f"{value:g} outside [{low:g}, {high:g}]")
    return value


def parse_boolean(argument):
    word = argument.strip().upper()
    if word in ("ON", "1"):
        return True
    if word in ("OFF", "0"):
        return False
    if not word:
        raise ScpiError(MISSING_PARAMETER)
    raise ScpiError(DATA_TYPE_ERROR, f"{argument!r} is not ON, OFF, 1 or 0")


def format_plain(value, decimals=3):
    """``2870000000.0`` -> ``"2870000000"``; ``-10.5`` -> ``"-10.5"`` (no exponent, trailing zeros dropped)."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
