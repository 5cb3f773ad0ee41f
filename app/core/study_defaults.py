"""The simulated labelling study's default samples (``nvscope simulate-study``): light, so that the command
line's help can show them without loading the simulator."""

DEFAULT_CELLS = (36, 30, 40, 28, 34)
DEFAULT_MEAN_Z_UM = (12.0, 12.5, 17.0, 16.0, 9.0)
"""Mean cell distance per sample: 500 ug/ml markedly closer than all others, as in the paper; 40 ug/ml closer
than 100 ug/ml, so that raw peak fields rank those two wrongly. The weakly labelled samples (20, 40 ug/ml,
normalised field 0.3-0.6 uT) sit at 12 um: with the simulated map noise of ~160 nT per pixel (the paper's
detection statement implies ~190 nT) their cells would otherwise be at or below the detection limit."""
DEFAULT_Z_SPREAD_UM = 3.0
DEFAULT_MASS_LOG_SD = 0.35
