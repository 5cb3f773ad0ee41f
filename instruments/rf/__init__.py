"""Microwave generators: the SCPI driver over pyvisa (SMB100A, MXG, SG384) and the mock SCPI server."""

from .dialects import DIALECTS, MXG, SG384, SMB100A, RfDialect
from .interface import RfLimits, RfSource
from .mock_generator import MockGenerator
from .mock_server import MockScpiServer
from .scpi_source import ScpiRfSource

__all__ = [
    "DIALECTS",
    "MXG",
    "SG384",
    "SMB100A",
    "MockGenerator",
    "MockScpiServer",
    "RfDialect",
    "RfLimits",
    "RfSource",
    "ScpiRfSource",
]
