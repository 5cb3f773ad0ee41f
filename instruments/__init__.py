"""Instrument drivers, mocks, the virtual microscope and the sweep engine. No Qt here."""
