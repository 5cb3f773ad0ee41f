"""Thorlabs KSC101 K-Cube solenoid (shutter) controller through pylablib's Kinesis device class.

APT protocol messages used (Thorlabs "Host-controller communications protocol", solenoid section):

    MGMSG_MOT_SET_SOL_OPERATINGMODE 0x04C0  param1 = channel 1, param2 = 0x01 manual (the state follows
                                            SET_SOL_STATE), 0x02 single, 0x03 auto, 0x04 triggered
    MGMSG_MOT_SET_SOL_STATE         0x04CB  param1 = channel 1, param2 = 0x01 on (shutter open), 0x02 off (closed)
    MGMSG_MOT_REQ_SOL_STATE         0x04CC  -> MGMSG_MOT_GET_SOL_STATE 0x04CD, param2 as above

Six-byte headers ``<HBBBB``: message id, param1, param2, destination 0x50 (generic USB device), source 0x01
(host). pylablib is imported only when a device is connected, so importing this module never needs it or the
FTDI/serial backends.
"""

from ..connection import close_quietly, set_up_or_close
from ..errors import (
    DriverUnavailableError,
    InstrumentDisconnectedError,
    InstrumentReplyError,
    InstrumentTimeoutError,
)
from .interface import TransportShutterBase

SET_SOL_OPERATINGMODE = 0x04C0
SET_SOL_STATE = 0x04CB
REQ_SOL_STATE = 0x04CC
GET_SOL_STATE = 0x04CD
SOLENOID_ON = 0x01
SOLENOID_OFF = 0x02
MODE_MANUAL = 0x01
CHANNEL = 0x01


def kinesis_solenoid_class():
    """The pylablib Kinesis device class for a KSC101 (``BasicKinesisDevice`` plus the solenoid messages)."""
    try:
        from pylablib.core.devio import comm_backend
        from pylablib.devices.Thorlabs import kinesis
    except ImportError as err:
        raise DriverUnavailableError(
            f"the KSC101 driver needs pylablib's Thorlabs Kinesis support, which failed to import ({err}); "
            "pip install pylablib-lightweight pyft232 (or pyserial).") from err

    class KinesisSolenoid(kinesis.BasicKinesisDevice):
        """pylablib Kinesis device speaking the KSC101 solenoid messages."""

        @classmethod
        def from_backend(cls, instr, is_rack_system=False):
            """Wrap an already-open pylablib comm backend (skips the RTS cycling of a fresh USB connection;
            the tests use it with a fake backend to check the bytes)."""
            device = cls.__new__(cls)
            comm_backend.ICommBackendWrapper.__init__(device, instr)
            device._bg_msg_counters = {}
            device._is_rack_system = is_rack_system
            return device

        def set_operating_mode(self, mode=MODE_MANUAL):
            self.send_comm(SET_SOL_OPERATINGMODE, param1=CHANNEL, param2=mode)

        def set_solenoid(self, on):
            self.send_comm(SET_SOL_STATE, param1=CHANNEL, param2=SOLENOID_ON if on else SOLENOID_OFF)

        def get_solenoid(self):
            reply = self.query(REQ_SOL_STATE, param1=CHANNEL)
            if reply.param2 not in (SOLENOID_ON, SOLENOID_OFF):
                raise InstrumentReplyError(f"the KSC101 answered solenoid state 0x{reply.param2:02x} to "
                                           "MGMSG_MOT_REQ_SOL_STATE; expected 0x01 (on) or 0x02 (off).")
            return reply.param2 == SOLENOID_ON

    return KinesisSolenoid


class Ksc101Shutter(TransportShutterBase):
    """A KSC101 with serial number ``conn`` (8 digits, 68xxxxxx) or a serial port (``/dev/ttyUSB0``, ``COM5``).
    ``device`` injects an already-built ``KinesisSolenoid`` (tests build one on a fake transport)."""

    def __init__(self, conn, timeout_s=1.0, settle_s=0.0, device=None):
        self.conn = conn
        self.timeout_s = float(timeout_s)
        self.settle_s = float(settle_s)
        self._device = device
        self._connect()

    def _connect(self):
        if self._device is None:
            cls = kinesis_solenoid_class()
            try:
                self._device = cls(self.conn, timeout=self.timeout_s)
            except (cls.Error, OSError) as err:
                raise InstrumentDisconnectedError(
                    f"cannot open the KSC101 {self.conn!r}: {err}. Check the USB cable, the serial number "
                    "(config: shutter.serial_number) and that Kinesis/APT software is not holding the device."
                ) from err
        self.connected = True
        set_up_or_close(self._set_up, self._disconnect)

    def _set_up(self):
        self._call(lambda d: d.set_operating_mode(MODE_MANUAL), "set manual mode")
        self.set_open(False)

    def _disconnect(self):
        self._device = close_quietly(self._device, (OSError, RuntimeError))
        self.connected = False

    def __repr__(self):
        return f"Ksc101Shutter({self.conn!r})"

    def _move(self, open_):
        self._call(lambda d: d.set_solenoid(open_), "open" if open_ else "close")
        if self.is_open() != open_:
            raise InstrumentReplyError(f"the KSC101 {self.conn} did not {'open' if open_ else 'close'} the "
                                       "shutter (interlock, or the controller is not in manual mode?).")

    def is_open(self):
        with self._guard():
            return self._call(lambda d: d.get_solenoid(), "read the solenoid state")

    def _call(self, action, what):
        if self._device is None:
            raise InstrumentDisconnectedError(f"the KSC101 {self.conn} is not connected; cannot {what}.")
        try:
            return action(self._device)
        except InstrumentReplyError:
            raise
        except OSError as err:
            raise InstrumentDisconnectedError(f"lost the KSC101 {self.conn} while trying to {what}: {err}.") from err
        except RuntimeError as err:  # pylablib's ThorlabsError / backend errors derive from RuntimeError
            if "timeout" in type(err).__name__.lower() or "timeout" in str(err).lower():
                raise InstrumentTimeoutError(f"the KSC101 {self.conn} did not answer while trying to {what} within "
                                             f"{self.timeout_s:g} s (config: shutter.timeout_s).") from err
            raise InstrumentReplyError(f"the KSC101 {self.conn} failed to {what}: {err}.") from err
