"""Units of imported values: frequency units stated or inferred (with the rule said out loud), field units.

Inference rule for frequencies (NV ODMR lines lie between about 0.1 and 100 GHz), on the largest |value|:
below 100 -> GHz; from 100 to below 1e5 -> MHz; from 1e5 -> Hz. kHz is never inferred: state it. After the
conversion every frequency must lie within 0.1-100 GHz, otherwise the units were wrong and the error says
which were used and how to state others.
"""

import numpy as np

from .errors import UnitsError

FREQ_SCALE_HZ = {"hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9}
FIELD_SCALE_T = {"tesla": 1.0, "t": 1.0, "millitesla": 1e-3, "mt": 1e-3, "microtesla": 1e-6, "ut": 1e-6,
                 "µt": 1e-6, "nanotesla": 1e-9, "nt": 1e-9, "gauss": 1e-4, "g": 1e-4}
FREQ_RULE = ("frequency units inferred from the largest value: < 100 -> GHz, < 1e5 -> MHz, otherwise Hz "
             "(state freq_units to override)")
PLAUSIBLE_HZ = (1e8, 1e11)


def _canonical(units):
    return str(units).strip().lower().replace("μ", "µ")


def infer_freq_units(values):
    """'GHz', 'MHz' or 'Hz' for frequency ``values`` by ``FREQ_RULE``."""
    largest = float(np.nanmax(np.abs(values)))
    if largest < 100:
        return "GHz"
    if largest < 1e5:
        return "MHz"
    return "Hz"


def frequencies_hz(values, units=None):
    """(freq_hz float64, units used, how they were decided). ``units``: 'Hz', 'kHz', 'MHz', 'GHz' or None
    (inferred by ``FREQ_RULE``)."""
    values = np.asarray(values, dtype=np.float64)
    if units is None:
        used, how = infer_freq_units(values), FREQ_RULE
    else:
        key = _canonical(units)
        if key not in FREQ_SCALE_HZ:
            raise UnitsError(f"frequency units {units!r} are not known; use one of Hz, kHz, MHz, GHz.")
        used, how = {"hz": "Hz", "khz": "kHz", "mhz": "MHz", "ghz": "GHz"}[key], "stated"
    freq_hz = values * FREQ_SCALE_HZ[used.lower()]
    low, high = PLAUSIBLE_HZ
    if not (np.all(freq_hz >= low) and np.all(freq_hz <= high)):
        raise UnitsError(f"the frequencies read as {used} ({how}) span {freq_hz.min():.6g}-{freq_hz.max():.6g} Hz, "
                         f"outside the {low:.0e}-{high:.0e} Hz of NV ODMR; state freq_units (Hz, kHz, MHz, GHz).")
    return freq_hz, used, how


def field_scale_t(units):
    """Tesla per unit of an imported field map: 'tesla', 'microtesla', 'gauss' (also T, uT, G, mT, nT)."""
    key = _canonical(units) if units is not None else None
    if key not in FIELD_SCALE_T:
        raise UnitsError(f"field units {units!r} are not known; use tesla, microtesla or gauss (also T, mT, uT, "
                         "nT, G). QDMlab's B111 maps are in gauss.")
    return FIELD_SCALE_T[key]
