"""Units of stored quantities, read from the name when the name carries them (house rule: ``freq_hz``,
``b_nv_t``, ``z_m``). Every numeric dataset in a session file has a ``units`` attribute; this module
decides it when the caller does not say.
"""

from .errors import SessionWriteError

DIMENSIONLESS = "1"

# Longest suffixes first is not needed: matching tries the longest tail of the name first.
UNIT_SUFFIXES = {
    "hz": "Hz",
    "t": "T",
    "m": "m",
    "kg": "kg",
    "g": "g",
    "s": "s",
    "am2": "A m^2",
    "dbm": "dBm",
    "px": "pixel",
    "adu": "ADU",
    "k": "K",
    "deg": "deg",
    "rad": "rad",
    "w": "W",
    "v": "V",
    "ug_per_ml": "ug/ml",
    "t_per_sqrt_hz": "T/sqrt(Hz)",
    "hz_per_t": "Hz/T",
    "per_s": "1/s",
    "electrons": "electron",
}

DIMENSIONLESS_NAMES = frozenset({
    "contrast", "chi2", "reduced_chi2", "flag", "flags", "quality", "snr", "r2", "converged", "label_index",
    "cell_index", "n_iterations", "window_index", "step_done", "mask",
})
DIMENSIONLESS_SUFFIXES = ("_ratio", "_fraction", "_contrast", "_index", "_count", "_snr", "_chi2", "_flag",
                          "_flags", "_mask", "_iterations")
UNCERTAINTY_SUFFIXES = ("_err", "_std", "_sigma", "_sem")


def units_from_name(name):
    """The units a name implies (``"b_nv_t"`` -> ``"T"``, ``"z_m_err"`` -> ``"m"``, ``"n_pairs"`` -> ``"1"``),
    or None when the name does not say."""
    base = name.lower()
    for suffix in UNCERTAINTY_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    if base in DIMENSIONLESS_NAMES or base.startswith("n_") or base.endswith(DIMENSIONLESS_SUFFIXES):
        return DIMENSIONLESS
    parts = base.split("_")
    for n_tail in range(len(parts) - 1, 0, -1):
        tail = "_".join(parts[-n_tail:])
        if tail in UNIT_SUFFIXES:
            return UNIT_SUFFIXES[tail]
    return None


def resolve_units(names, explicit, what, booleans=()):
    """Units for each name: ``explicit[name]`` if given, else from the name ("1" for ``booleans``).
    Raises naming what is missing.

    ``explicit`` may only name quantities that are present (a typo would otherwise go unnoticed).
    """
    explicit = dict(explicit or {})
    unknown = sorted(set(explicit) - set(names))
    if unknown:
        raise SessionWriteError(f"units given for {unknown} but {what} has no such entries (it has {sorted(names)}).")
    units = {}
    for name in names:
        unit = explicit.get(name, DIMENSIONLESS if name in booleans else units_from_name(name))
        if unit is None:
            raise SessionWriteError(
                f"{what}: cannot tell the units of {name!r} from its name; give them, e.g. "
                f"units={{{name!r}: 'T'}} (use '1' for dimensionless quantities)."
            )
        if not isinstance(unit, str):
            raise SessionWriteError(f"{what}: units of {name!r} must be a string such as 'T', got {unit!r}.")
        units[name] = unit
    return units
