"""The virtual microscope's sample as the app records it: the ground truth a simulated session stores (the same
for the GUI, ``nvscope acquire`` and ``nvscope simulate-study``) and the default sweep window around f-."""

from analysis import physics
from analysis.calibration import Calibration

DEFAULT_WINDOW_HALF_WIDTH_HZ = 6e6


def default_window_hz(n_points=101):
    """(start_hz, stop_hz, n_points): f- of the default bias field +/- ``DEFAULT_WINDOW_HALF_WIDTH_HZ``."""
    f_minus, _ = physics.transitions_hz(physics.DEFAULT_BIAS_FIELD_T)
    return (f_minus - DEFAULT_WINDOW_HALF_WIDTH_HZ, f_minus + DEFAULT_WINDOW_HALF_WIDTH_HZ, int(n_points))


def truth_of(microscope):
    """What a simulated session stores as ground truth: the fields and the cells."""
    sample = microscope.sample
    cells = [{"x_m": c.x_m, "y_m": c.y_m, "z_m": c.z_m, "diameter_m": c.diameter_m,
              "iron_mass_kg": c.iron_mass_kg, "n_clusters": c.n_clusters, "cluster_seed": c.cluster_seed,
              "layout": c.layout} for c in sample.cells]
    return {"b_nv_t": microscope.b_nv_map_t, "cell_field_t": sample.cell_field_t(),
            "background_t": sample.background_field_t(), "cells": cells,
            "sample": {"pixel_size_m": sample.pixel_size_m, "bias_field_t": sample.bias_field_t,
                       "nv_azimuth_deg": sample.nv_azimuth_deg, "d_hz": microscope.d_hz}}


def calibration_of(microscope, source="mock default (the virtual microscope's sample)"):
    """The ``Calibration`` of a virtual microscope's frames: its sample's pixel size (taken as unbinned) and NV
    azimuth (the image frame: a virtual camera is neither flipped nor rotated)."""
    sample = microscope.sample
    return Calibration(pixel_size_unbinned_m=float(sample.pixel_size_m), nv_azimuth_deg=float(sample.nv_azimuth_deg),
                       source=source)
