"""Fixtures shared by the instrument tests."""

from pathlib import Path

import pytest
import pyvisa

SIM_YAML = Path(__file__).resolve().parents[2] / "resources" / "instruments_sim.yaml"


@pytest.fixture(scope="module")
def sim_rm():
    """A pyvisa-sim resource manager on the simulated SCPI instruments of resources/instruments_sim.yaml."""
    rm = pyvisa.ResourceManager(f"{SIM_YAML}@sim")
    yield rm
    rm.close()
