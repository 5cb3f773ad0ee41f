"""Invalid physical parameters raise errors naming the parameter and the value."""

import math

import pytest

from analysis import physics


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(z_m=-5e-6), "z_m"),
        (dict(diameter_m=-1e-6), "diameter_m"),
        (dict(iron_mass_kg=-1e-15), "iron_mass_kg"),
        (dict(z_m=math.nan), "z_m"),
        (dict(x_m=math.inf), "x_m"),
        (dict(n_clusters=0), "n_clusters"),
    ],
)
def test_labelled_cell_rejects_bad_parameters(kwargs, name):
    args = dict(x_m=0.0, y_m=0.0, z_m=15e-6, diameter_m=12e-6, iron_mass_kg=1e-15)
    args.update(kwargs)
    with pytest.raises(physics.PhysicsParameterError, match=name) as err:
        physics.LabelledCell(**args)
    assert repr(kwargs[name])[:4] in str(err.value)


def test_cell_closer_than_its_radius_is_refused():
    with pytest.raises(physics.PhysicsParameterError, match=r"z_m = 5e-06.*radius 6e-06"):
        physics.LabelledCell(0.0, 0.0, 5e-6, 12e-6, 1e-15)


def test_peak_field_and_normalisation_refuse_bad_distances():
    with pytest.raises(physics.PhysicsParameterError, match="z_m"):
        physics.peak_b_nv_t(1e-13, -1e-6)
    with pytest.raises(physics.PhysicsParameterError, match="reference_z_m"):
        physics.normalised_field_t(1e-15, reference_z_m=0.0)
    with pytest.raises(physics.PhysicsParameterError, match="iron_mass_kg"):
        physics.normalised_field_t(math.nan)
    with pytest.raises(physics.PhysicsParameterError, match="radius"):
        physics.normalised_field_t(1e-15, reference_z_m=5e-6, reference_diameter_m=12e-6)
