"""Import and export as the app's two faces ask for them (``nvscope import`` / ``nvscope export`` and File >
Import… / File > Export…): one ``ImportRequest`` (what the CLI's options and the GUI's form say) turned into
an ``analysis.exchange`` call, so that the command line and the dialog cannot import a file differently.

``analysis.exchange`` is imported inside the functions: it loads the fit pipeline, which ``nvscope --help``
must not.
"""

from dataclasses import dataclass

CUBE = "cube"
FIELD_MAP = "field map"
FREQ_UNITS = ("Hz", "kHz", "MHz", "GHz")
MAP_UNITS = ("tesla", "microtesla", "gauss")
EXPORT_WHAT = ("field-map", "fit-maps", "cells")
"""``analysis.exchange.exporting.WHAT``, repeated here so that argparse's choices need no analysis import."""
EXPORT_FORMATS = {"field-map": ("tiff", "mat"), "fit-maps": ("tiff", "mat"), "cells": ("csv", "mat")}
SUFFIX = {"tiff": ".tif", "mat": ".mat", "csv": ".csv"}


@dataclass
class ImportRequest:
    """One import: ``kind`` is ``CUBE`` or ``FIELD_MAP``; ``freq_units`` None means inferred (the rule used
    is in the report's messages); units and sizes as ``analysis.exchange.import_cube`` / ``import_field_map``
    take them."""

    source: str
    out: str
    kind: str = CUBE
    cube_var: str = None
    freq: str = None
    freq_var: str = None
    freq_units: str = None
    freq_axis: int = None
    split_hz: float = None
    map_var: str = None
    map_units: str = None
    pixel_size_um: float = None
    background_order: int = None
    sample_name: str = None
    overwrite: bool = False


def _blank(value):
    """None for an empty form field."""
    return value if value not in ("", None) else None


def run_import(request):
    """Write the session file ``request.out``; returns ``analysis.exchange.ImportReport`` (its ``messages``
    say what was inferred). Raises ``analysis.exchange.ExchangeError`` (a ValueError) on bad input."""
    from analysis.exchange import import_cube, import_field_map

    r = request
    if r.kind == FIELD_MAP:
        if not r.map_units:
            raise ValueError(f"{r.source}: a field map needs its units ({', '.join(MAP_UNITS)}); give --units.")
        return import_field_map(r.source, r.out, units=r.map_units, pixel_size_um=r.pixel_size_um,
                                map_var=_blank(r.map_var), background_order=r.background_order,
                                sample_name=_blank(r.sample_name), overwrite=r.overwrite)
    if r.kind != CUBE:
        raise ValueError(f"import kind {r.kind!r} is not known; choose {CUBE!r} or {FIELD_MAP!r}.")
    return import_cube(r.source, r.out, cube_var=_blank(r.cube_var), freq=_blank(r.freq), freq_var=_blank(r.freq_var),
                       freq_units=_blank(r.freq_units), freq_axis=r.freq_axis, pixel_size_um=r.pixel_size_um,
                       split_hz=r.split_hz, sample_name=_blank(r.sample_name), overwrite=r.overwrite)


def run_export(session_path, out, what, fmt=None):
    """Write ``what`` ('field-map', 'fit-maps', 'cells') of a session file; returns the paths written."""
    from analysis.exchange import export_session

    return export_session(session_path, out, what, fmt=fmt)
