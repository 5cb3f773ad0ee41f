"""Laser shutters: Thorlabs SC10 (pyvisa serial), Thorlabs KSC101 (pylablib Kinesis) and the mock."""

from .interface import Shutter, ShutterBase
from .ksc101 import Ksc101Shutter, kinesis_solenoid_class
from .mock import MockShutter
from .sc10 import Sc10Shutter

__all__ = [
    "Ksc101Shutter",
    "MockShutter",
    "Sc10Shutter",
    "Shutter",
    "ShutterBase",
    "kinesis_solenoid_class",
]
