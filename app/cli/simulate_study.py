"""``nvscope simulate-study``: one simulated session per SPION concentration (``app.core.study_simulation``)."""

import sys
import time

from app.cli.option_types import fill_defaults, finite, whole
from app.cli.progress import ProgressBar
from app.core.study_defaults import DEFAULT_CELLS, DEFAULT_MASS_LOG_SD, DEFAULT_MEAN_Z_UM, DEFAULT_Z_SPREAD_UM


def add_parser(sub):
    p = sub.add_parser("simulate-study", help="write one simulated session per SPION concentration (labelling study)",
                       description="Simulate a labelling study: one session per concentration, acquired through the "
                       "virtual microscope, each sample with its own cell distance and cell count, iron mass per cell "
                       "on the paper's saturation curve (B_max 2.91 uT, half-maximum 116.39 ug/ml) with a log-normal "
                       "spread.")
    p.add_argument("--out", required=True, help="folder for the session files (created if missing)")
    p.add_argument("--force", action="store_true", help="replace existing session files of the same names")
    p.add_argument("--seed", type=whole(0), default=0, help="random seed (samples and noise; default 0)")
    p.add_argument("--concentrations", type=finite(strictly_above=0.0, maximum=1e6), nargs="+", metavar="UG_PER_ML",
                   help="SPION concentrations in ug/ml (default 20 40 100 200 500)")
    p.add_argument("--cells", type=whole(1, 100000), nargs="+", metavar="N",
                   help=f"cells per sample, one per concentration (default {' '.join(map(str, DEFAULT_CELLS))})")
    p.add_argument("--mean-z-um", type=finite(strictly_above=0.0, maximum=1000.0), nargs="+", metavar="UM",
                   help="mean cell distance per sample in um, one per concentration (default "
                   f"{' '.join(f'{z:g}' for z in DEFAULT_MEAN_Z_UM)})")
    p.add_argument("--z-spread-um", type=finite(0.0, 1000.0), default=DEFAULT_Z_SPREAD_UM,
                   help=f"distances are uniform within +- this of the sample's mean (default {DEFAULT_Z_SPREAD_UM:g})")
    p.add_argument("--mass-log-sd", type=finite(0.0, 3.0), default=DEFAULT_MASS_LOG_SD,
                   help=f"log-normal spread of the iron mass per cell (default {DEFAULT_MASS_LOG_SD:g})")
    p.add_argument("--mass-sampling", choices=("stratified", "random"), default="stratified",
                   help="stratified (default): each sample's masses are the log-normal's quantiles, so its mean lies "
                   "on the curve; random: independent draws (the sample means then scatter by ~s/sqrt(n))")
    p.add_argument("--quick", action="store_true",
                   help="small samples that run in seconds: 96 x 96 px, 41 points, 20 pairs, 4 cells each (options "
                   "given explicitly win)")
    p.add_argument("--size", type=whole(16, 100000), nargs=2, metavar=("ROWS", "COLS"),
                   help="detector pixels (default 256 256)")
    p.add_argument("--pairs", type=whole(1, 100000), help="on/off frame pairs per step (default 300, the paper's)")
    p.add_argument("--points", type=whole(3, 10001), help="frequency steps across f- +- 6 MHz (default 101)")
    p.add_argument("--exposure-ms", type=finite(1e-3, 10000.0), default=1.0,
                   help="exposure per frame in ms (default 1)")
    p.set_defaults(handler=run)
    return "simulate-study"


def run(args):
    # here, not at the top: the simulator loads numba, which ``nvscope --help`` must not
    from app.core.study_simulation import default_samples, simulate_study

    fill_defaults(args, {"size": (96, 96), "points": 41, "pairs": 20} if args.quick else
                  {"size": (256, 256), "points": 101, "pairs": 300})
    if args.quick and args.cells is None:
        args.cells = [4] * len(args.concentrations or DEFAULT_CELLS)
    samples = default_samples(args.seed, args.concentrations, args.cells, args.mean_z_um)
    bar = ProgressBar(len(samples) * args.points, label="simulate-study")
    t0 = time.perf_counter()
    paths = simulate_study(args.out, samples, tuple(args.size), args.pairs, args.points, args.exposure_ms * 1e-3,
                           overwrite=args.force, z_spread_m=args.z_spread_um * 1e-6, mass_log_sd=args.mass_log_sd,
                           mass_sampling=args.mass_sampling,
                           progress=lambda done, total: bar.update(done))
    bar.close()
    for spec, path in zip(samples, paths, strict=True):
        print(f"{path}: {spec.name}, {spec.n_cells} cells, mean distance {spec.mean_z_m * 1e6:.1f} um",
              file=sys.stderr)
    print(f"wrote {len(paths)} sessions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
