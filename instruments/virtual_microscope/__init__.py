"""A simulated NV widefield microscope that the mock instruments read (RF state, shutter state -> frames)."""

from .emccd import ADU_MAX, EmccdSettings, render_emccd_frame
from .labelling import (
    PAPER_B_MAX_T,
    PAPER_CONCENTRATIONS_UG_PER_ML,
    PAPER_HALF_MAX_UG_PER_ML,
    iron_mass_for_concentration_kg,
    saturation_field_t,
)
from .microscope import InstrumentState, OpticsSettings, SpinSettings, VirtualMicroscope
from .sample import QuadraticBackground, VirtualSample, random_cells
