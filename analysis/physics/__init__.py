"""The single source of truth for the physics (DESIGN section 2): constants, geometry, dipole fields of
labelled cells, NV projection, Zeeman conversions and the CW-ODMR line shape. Everything else calls this.
"""

from .cell import (
    LabelledCell,
    cells_b_nv_map_t,
    fibonacci_sphere,
    iron_mass_to_moment_am2,
    moment_to_iron_mass_kg,
    random_sphere,
)
from .constants import *  # noqa: F403 - the constants are the module's vocabulary
from .dipole import (
    dipole_field_t,
    projected_dipole_and_gradient,
    projected_field_at_points_t,
    projected_field_map_t,
    projected_field_snippets_t,
)
from .geometry import nv_axis, pixel_coordinates_m
from .odmr_lines import (
    hyperfine_offsets_hz,
    lorentzian,
    lorentzian_and_derivatives,
    lorentzian_pair_and_derivatives,
    max_fractional_slope_per_hz,
    multiplet_dip,
    odmr_spectrum,
    photon_rate_for_sensitivity,
    power_broadened_fwhm_hz,
    power_saturated_contrast,
    power_saturation,
    shot_noise_sensitivity_t_per_sqrt_hz,
)
from .peak_field import (
    REFERENCE_DIAMETER_M,
    REFERENCE_Z_M,
    dipole_extrema_shape,
    lobe_ratio,
    normalised_field_per_kg,
    normalised_field_t,
    peak_b_nv_t,
)
from .spin_contrast import spin_contrast
from .validation import PhysicsParameterError
from .zeeman import (
    b_nv_from_center_t,
    b_nv_from_f_minus_t,
    b_nv_from_f_plus_t,
    b_nv_from_transitions_t,
    d_from_transitions_hz,
    transitions_hz,
    zero_field_splitting_hz,
)
