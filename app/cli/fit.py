"""``nvscope fit``: fit a session's ODMR cube, remove the background, store the field maps in the session."""

import sys

from app.cli.option_types import finite, whole


def add_parser(sub):
    p = sub.add_parser("fit", help="fit a session's ODMR cube, remove the background and store the field maps",
                       description="Fit every pixel's CW-ODMR spectrum, convert to B_NV, remove a robust polynomial "
                       "background and write fit maps, background and field maps into the session file "
                       "(replacing earlier results).")
    p.add_argument("sessions", nargs="+", help="session files (.h5)")
    # no ``choices=``: listing analysis.odmr.MODELS here would load numba for ``nvscope --help``; run() checks
    p.add_argument("--model", default="15N", help="line model: 15N (default: the hyperfine doublet), 14N or "
                   "lorentzian")
    p.add_argument("--d-ghz", type=finite(2.5, 3.2), default=None,
                   help="zero-field splitting D in GHz for one-transition sweeps (default: 2.870, or the "
                   "simulated sample's)")
    p.add_argument("--binning", type=whole(1, 64), default=1,
                   help="average bin x bin pixels before fitting (1 to 64; default 1)")
    p.add_argument("--order", type=whole(0, 6), default=2,
                   help="polynomial order of the background (0 to 6; default 2: higher orders eat the cells' fields)")
    p.add_argument("--no-covariance", action="store_true", help="leave the per-pixel parameter covariance out "
                   "of the file (smaller, faster to write; the parameters' errors are kept)")
    p.set_defaults(handler=run)
    return "fit"


def run(args):
    from analysis.odmr import MODELS
    from analysis.pipeline import fit_session_file

    if args.model not in MODELS or args.model == "free":
        raise ValueError(f"--model {args.model!r} is not a line model; choose one of "
                         f"{', '.join(m for m in MODELS if m != 'free')}.")
    for path in args.sessions:
        summary = fit_session_file(path, model=args.model, d_hz=None if args.d_ghz is None else args.d_ghz * 1e9,
                                   binning=args.binning, order=args.order,
                                   covariance=not args.no_covariance)
        print(f"{path}: {summary.transitions} transition(s), {summary.n_steps_used} steps, "
              f"{100 * summary.converged_fraction:.2f} % of pixels converged, median B_NV "
              f"{summary.b_nv_median_t * 1e3:.4f} mT, background-subtracted map noise "
              f"{summary.residual_noise_t * 1e9:.0f} nT (MAD)", file=sys.stderr)
    return 0
