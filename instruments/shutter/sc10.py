"""Thorlabs SC10 shutter controller over a pyvisa serial resource (ASCII, 9600 or 115200 baud, 8N1).

The SC10 protocol: each command ends with a carriage return; the controller echoes the command, then (for a
query) the value, each followed by a carriage return, then a ``> `` prompt. ``ens`` *toggles* the output
enable, ``ens?`` answers 0/1; so the driver reads ``ens?`` first and toggles only when needed, then reads it
again to make sure the shutter moved (the interlock or the front-panel key can stop it). Reads end at the
prompt's ``>``, so one read returns the whole answer to one command. On connecting the driver puts the
controller in manual mode (``mode=1``, where ``ens`` opens and closes the shutter) and closes the shutter.
"""

import pyvisa

from ..bounded_read import read_reply
from ..connection import close_quietly, set_up_or_close
from ..errors import (
    DriverUnavailableError,
    InstrumentDisconnectedError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from .interface import TransportShutterBase

_ERROR_REPLIES = ("CMD_NOT_DEFINED", "CMD_ARG_INVALID")


class Sc10Shutter(TransportShutterBase):
    """An SC10 at ``resource_name`` (e.g. ``"ASRL/dev/ttyUSB0::INSTR"``, ``"ASRL3::INSTR"``).
    ``resource_manager`` defaults to pyvisa-py; tests pass a pyvisa-sim one."""

    def __init__(self, resource_name, timeout_s=1.0, baud_rate=9600, settle_s=0.0, resource_manager=None):
        self.resource_name = resource_name
        self.timeout_s = float(timeout_s)
        self.baud_rate = int(baud_rate)
        self.settle_s = float(settle_s)
        self._rm = resource_manager
        self._resource = None
        self.identity = ""
        self._connect()

    def _connect(self):
        if self._rm is None:
            self._rm = pyvisa.ResourceManager("@py")
        try:
            self._resource = self._rm.open_resource(
                self.resource_name, read_termination=">", write_termination="\r",
                timeout=max(1, round(self.timeout_s * 1000)), baud_rate=self.baud_rate)
        except ValueError as err:
            if "serial" in str(err).lower():
                raise DriverUnavailableError(
                    f"cannot open the SC10 at {self.resource_name!r}: {err}. pyvisa-py needs the pyserial "
                    "package for serial ports: pip install pyserial.") from err
            raise InstrumentDisconnectedError(f"cannot open the SC10 at {self.resource_name!r}: {err}.") from err
        except (pyvisa.errors.Error, OSError) as err:
            raise InstrumentDisconnectedError(
                f"cannot open the SC10 at {self.resource_name!r}: {err}. Check the USB cable, that the port "
                "exists and is not in use, and the address (config: shutter.resource).") from err
        self.connected = True
        set_up_or_close(self._set_up, self._disconnect)

    def _set_up(self):
        self.identity = self._transact("id?", query=True)
        self._transact("mode=1")
        self.set_open(False)

    def _disconnect(self):
        self._resource = close_quietly(self._resource, (pyvisa.errors.Error, OSError))
        self.connected = False

    def __repr__(self):
        return f"Sc10Shutter({self.resource_name!r})"

    # --- the Shutter interface ---------------------------------------------------------------------------
    def is_open(self):
        with self._guard():
            reply = self._transact("ens?", query=True)
        if reply not in ("0", "1"):
            raise InstrumentReplyError(f"the SC10 at {self.resource_name} answered {reply!r} to 'ens?'; "
                                       "expected 0 or 1.")
        return reply == "1"

    def _move(self, open_):
        if self.is_open() == open_:
            return
        self._transact("ens")
        if self.is_open() != open_:
            raise InstrumentReplyError(
                f"the SC10 at {self.resource_name} did not {'open' if open_ else 'close'} the shutter after 'ens' "
                "(interlock tripped, key switch off, or not in manual mode?).")

    # --- protocol ----------------------------------------------------------------------------------------
    def _transact(self, command, query=False):
        """Send ``command``, read up to the prompt, check the echo; return the value line of a query."""
        if self._resource is None:
            raise InstrumentDisconnectedError(f"the SC10 at {self.resource_name} is not connected; cannot send "
                                              f"{command!r}.")
        try:
            self._resource.write(command)
            raw = read_reply(self._resource, self.timeout_s, f"the SC10 at {self.resource_name} answering "
                             f"{command!r} (config: shutter.timeout_s)", ">")  # overall deadline, size cap
        except pyvisa.errors.VisaIOError as err:
            if err.error_code == pyvisa.constants.StatusCode.error_timeout:
                raise InstrumentTimeoutError(f"the SC10 at {self.resource_name} did not answer {command!r} within "
                                             f"{self.timeout_s:g} s (config: shutter.timeout_s).") from err
            raise self._lost(command, err) from err
        except (pyvisa.errors.InvalidSession, OSError) as err:
            raise self._lost(command, err) from err
        except UnicodeDecodeError as err:
            raise InstrumentReplyError(f"the SC10 at {self.resource_name} answered {command!r} with bytes that "
                                       f"are not text ({err.object[:32]!r}).") from err
        lines = [line.strip() for line in raw.replace("\n", "\r").split("\r")]
        lines = [line for line in lines if line and line != ">"]
        if not lines or lines[0] != command:
            raise InstrumentReplyError(f"the SC10 at {self.resource_name} answered {raw!r} to {command!r}; "
                                       "expected the echo of the command first.")
        if len(lines) > 1 and lines[1] in _ERROR_REPLIES:
            raise InstrumentReplyError(f"the SC10 at {self.resource_name} rejected {command!r}: {lines[1]}.")
        if not query:
            return None
        if len(lines) != 2:
            raise InstrumentReplyError(f"the SC10 at {self.resource_name} answered {raw!r} to {command!r}; "
                                       "expected the echo and one value.")
        return lines[1]

    def _lost(self, command, err):
        return InstrumentDisconnectedError(f"lost the SC10 at {self.resource_name} at {command!r}: {err}. Check "
                                           "the USB cable and the controller's power.")
