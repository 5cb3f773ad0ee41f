"""Physical constants and the paper's material numbers (DESIGN section 2). SI units throughout."""

import math

# NV centre, ground state
ZERO_FIELD_SPLITTING_HZ = 2.870e9
"""D at room temperature."""
D_TEMPERATURE_COEFF_HZ_PER_K = -74e3
GYROMAGNETIC_RATIO_HZ_PER_T = 28.025e9
"""Electron gyromagnetic ratio gamma: f = D -/+ gamma * B_NV."""
HYPERFINE_15N_HZ = 3.03e6
"""Splitting of the 15N hyperfine doublet (two lines, +/- half of this about the centre)."""
HYPERFINE_14N_HZ = 2.16e6
"""Spacing of the 14N hyperfine triplet (lines at -A, 0, +A about the centre)."""

# Magnetostatics
MU0_OVER_4PI = 1e-7
"""mu0 / (4 pi) in T m / A."""

# [100] diamond: every NV axis makes arccos(1/sqrt(3)) with the surface normal.
NV_POLAR_ANGLE_DEG = math.degrees(math.acos(1.0 / math.sqrt(3.0)))  # 54.7356 deg
DEFAULT_NV_AZIMUTH_DEG = 45.0
DEFAULT_BIAS_FIELD_T = 30e-3

# SPIONs: Ocean NanoTech SHS-20, 20 nm magnetite cores, saturated at 30 mT (Langevin factor 1)
PARTICLE_CORE_DIAMETER_M = 20e-9
PARTICLE_MOMENT_AM2 = 8.6e-19
MAGNETITE_DENSITY_KG_PER_M3 = 5170.0
MAGNETITE_IRON_MASS_FRACTION = 0.7236
IRON_MASS_PER_PARTICLE_KG = (
    MAGNETITE_DENSITY_KG_PER_M3 * math.pi / 6.0 * PARTICLE_CORE_DIAMETER_M**3 * MAGNETITE_IRON_MASS_FRACTION
)  # 1.567e-20 kg = 1.567e-17 g
MOMENT_PER_IRON_MASS_AM2_PER_KG = PARTICLE_MOMENT_AM2 / IRON_MASS_PER_PARTICLE_KG  # 54.9 A m^2/kg = 0.0549 /g

# Unit helpers for display and reports (SI inside the code)
PICOGRAM_KG = 1e-15
MICROMETRE_M = 1e-6
MICROTESLA_T = 1e-6
