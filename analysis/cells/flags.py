"""Quality flags of an analysed cell: a bit field (``CellResult.flag``) and its names (``flag_names``).

| bit | name | set when |
| --- | --- | --- |
| 1 | NOT_CONVERGED | the refinement's LM fit did not converge |
| 2 | AT_EDGE | the snippet reached past the image: padded, the padding given no weight (never shifted) |
| 4 | RESIDUAL_INCONSISTENT | reduced chi2 > 1 + 5 sqrt(2 / dof): the residual is larger than the noise allows |
| 8 | OUTSIDE_TRAINING_RANGE | z, iron mass, diameter or the map's noise outside the CNN card's training ranges |
| 16 | CNN_REFINEMENT_DISAGREE | the fit and the CNN differ in z or ln(mass) by > 3 combined sigmas (the CNN kept) |
| 32 | OVERLAP | another cell's centre lies within the snippet (its fitted field was subtracted) |
| 64 | AT_BOUND | a refined parameter ended on its bound (shift limit, z or mass range) |
| 128 | WEAK | the cell's own fitted field stands less than the detection SNR out of the noise |
| 256 | NO_CNN | analysed without the CNN (physics only: no diameter, no hybrid) |
"""

NOT_CONVERGED = 1
AT_EDGE = 2
RESIDUAL_INCONSISTENT = 4
OUTSIDE_TRAINING_RANGE = 8
CNN_REFINEMENT_DISAGREE = 16
OVERLAP = 32
AT_BOUND = 64
WEAK = 128
NO_CNN = 256

FLAG_NAMES = {
    NOT_CONVERGED: "NOT_CONVERGED",
    AT_EDGE: "AT_EDGE",
    RESIDUAL_INCONSISTENT: "RESIDUAL_INCONSISTENT",
    OUTSIDE_TRAINING_RANGE: "OUTSIDE_TRAINING_RANGE",
    CNN_REFINEMENT_DISAGREE: "CNN_REFINEMENT_DISAGREE",
    OVERLAP: "OVERLAP",
    AT_BOUND: "AT_BOUND",
    WEAK: "WEAK",
    NO_CNN: "NO_CNN",
}
RESIDUAL_SIGMAS = 5.0


def flag_names(flag):
    """Names of the bits set in ``flag``, in bit order."""
    return tuple(name for bit, name in FLAG_NAMES.items() if int(flag) & bit)


def residual_inconsistent(reduced_chi2, dof):
    """reduced chi2 beyond 1 + RESIDUAL_SIGMAS sqrt(2 / dof) (its standard deviation for Gaussian noise)."""
    return reduced_chi2 > 1.0 + RESIDUAL_SIGMAS * (2.0 / dof) ** 0.5
