"""``nvscope import`` and ``nvscope export``: argparse over ``app.core.data_exchange`` (which the GUI's File >
Import… and File > Export… use too) and ``analysis.exchange`` (docs/import_export.md)."""

import sys

from app.cli.option_types import finite, whole
from app.core.data_exchange import (
    CUBE,
    EXPORT_WHAT,
    FIELD_MAP,
    FREQ_UNITS,
    MAP_UNITS,
    ImportRequest,
    run_export,
    run_import,
)


def add_parser(sub):
    """Both sub-commands (the registry's entry point); returns their names."""
    return add_import_parser(sub), add_export_parser(sub)


def add_import_parser(sub):
    p = sub.add_parser(
        "import", help="make a session file from another setup's ODMR cube or field map",
        description="Import an ODMR cube (.npy/.npz, multi-page TIFF, MATLAB .mat v5/v7.3) with its frequency list, "
        "or a field map (--units given), as a new session file that fit, analyze and review mode read. "
        "Frequency units, when not given: largest value < 100 -> GHz, < 1e5 -> MHz, otherwise Hz. "
        "See docs/import_export.md.")
    p.add_argument("source", help="the file to import")
    p.add_argument("--out", required=True, help="the new session file (.h5)")
    p.add_argument("--cube-var", help="the cube's variable in a .mat/.npz file (e.g. M)")
    p.add_argument("--freq", help="frequency list file (.npy, .txt, .csv; or .mat/.npz with --freq-var)")
    p.add_argument("--freq-var", help="the frequencies' variable (e.g. Ftot), in the source or in --freq")
    p.add_argument("--freq-units", choices=FREQ_UNITS, help="units of the frequency list "
                   "(default: inferred, and the rule printed)")
    p.add_argument("--freq-axis", type=int, choices=[0, 1, 2], help="the cube axis holding the frequencies "
                   "(default: TIFF pages, else the last axis, or the first if only it matches)")
    p.add_argument("--split-ghz", type=finite(strictly_above=0.0, maximum=100.0),
                   help="a frequency between the f- and f+ dips: fit two transitions")
    p.add_argument("--map-var", help="the field map's variable in a .mat/.npz file (e.g. B111ferro)")
    p.add_argument("--units", choices=MAP_UNITS, help="import a field map in these units "
                   "(QDMlab's B111 maps: gauss)")
    p.add_argument("--pixel-size-um", type=float, help="pixel size at the sample in um (required for maps)")
    p.add_argument("--background-order", type=whole(0, 6), help="maps: subtract a robust polynomial background of "
                   "this order, 0 to 6 (default: the map is taken as background-free)")
    p.add_argument("--name", help="sample name (default: the source file's name)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(handler=import_command)
    return "import"


def import_command(args):
    if args.map_var is not None and args.units is None:
        raise ValueError("--map-var imports a field map: give its --units (tesla, microtesla or gauss).")
    report = run_import(ImportRequest(
        args.source, args.out, kind=FIELD_MAP if args.units is not None else CUBE, cube_var=args.cube_var,
        freq=args.freq, freq_var=args.freq_var, freq_units=args.freq_units, freq_axis=args.freq_axis,
        split_hz=None if args.split_ghz is None else args.split_ghz * 1e9, map_var=args.map_var,
        map_units=args.units, pixel_size_um=args.pixel_size_um, background_order=args.background_order,
        sample_name=args.name, overwrite=args.force))
    for line in report.messages:
        print(f"{args.source}: {line}", file=sys.stderr)
    print(f"{report.path}: session written (sha256 of the source {report.provenance['source_sha256'][:12]}...)",
          file=sys.stderr)
    return 0


def add_export_parser(sub):
    p = sub.add_parser(
        "export", help="write a session's field map, fit maps or cells as TIFF, MATLAB .mat or CSV",
        description="Export results for Fiji/ImageJ, napari, MATLAB or a spreadsheet: float32 TIFF with the "
        "pixel size (ImageJ), .mat with pixel_size_um and units, CSV of the cells. See docs/import_export.md.")
    p.add_argument("session", help="the session file (.h5)")
    p.add_argument("--what", required=True, choices=EXPORT_WHAT, help="what to export")
    p.add_argument("--out", required=True, help="the file to write (fit maps as TIFF: one <stem>_<map>.tif each)")
    p.add_argument("--format", choices=["tiff", "mat", "csv"], help="default: from the --out extension")
    p.set_defaults(handler=export_command)
    return "export"


def export_command(args):
    for path in run_export(args.session, args.out, args.what, fmt=args.format):
        print(path, file=sys.stderr)
    return 0
