"""A simulated NV widefield microscope that the mock instruments read (RF state, shutter state -> frames)."""

from .emccd import ADU_MAX, EmccdSettings, render_emccd_frame
from .microscope import InstrumentState, OpticsSettings, SpinSettings, VirtualMicroscope
from .sample import QuadraticBackground, VirtualSample, random_cells
