"""``nvscope study``: the labelling study over many sessions -> HTML report (+ JSON summary).

Sessions that lack results get them first (ODMR fit, background, field map; cell detection, CNN and physics
refinement), written into the session files, with a progress bar; then the sessions are grouped by their
SPION concentration and compared (``analysis.study``).
"""

import sys
import time

from app.cli.option_types import finite, ordered_pair
from app.cli.progress import ProgressBar


def add_parser(sub):
    p = sub.add_parser("study", help="compare many sessions: histograms, saturation fits, an HTML report",
                       description="Labelling-efficiency study: analyse every session that lacks results (fit, "
                       "background, cell detection, CNN, refinement), group the cells by the sample's SPION "
                       "concentration, fit the saturation curve and write an HTML report with the figures.")
    p.add_argument("sessions", nargs="+", help="session files (.h5), one or more per concentration")
    p.add_argument("--report", help="HTML report to write (self-contained, figures embedded)")
    p.add_argument("--figures", choices=("png", "svg", "pdf"), default="png",
                   help="figure format of the report: png or svg embedded (default png), pdf as files next to it")
    p.add_argument("--json", help="JSON summary to write (half-max concentration, B_max, per-concentration means)")
    p.add_argument("--distance-window-um", type=finite(0.0, 1000.0), nargs=2, default=(4.0, 35.0),
                   metavar=("MIN", "MAX"),
                   help="keep cells whose fitted distance lies in this window, in um (default 4 35: closer than a "
                   "cell's radius is a failed fit, farther is background structure)")
    p.add_argument("--no-cnn", action="store_true",
                   help="refine newly detected cells by physics alone, without the CNN (sessions that already have "
                   "a cell table keep it)")
    p.set_defaults(handler=run)
    return "study"


def analyse_sessions(paths, stream=None, use_cnn=True):
    """Run the missing pipeline stages on every session, with a progress bar; returns {stage: total seconds}."""
    from analysis.study import analyse_session, needed_stages_of_file

    todo = [(path, needed_stages_of_file(path)) for path in paths]
    total = sum(len(stages) for _, stages in todo)
    timings = {}
    if total == 0:
        return timings
    bar = ProgressBar(total, label="study", stream=stream)
    done = 0
    for path, stages in todo:
        if not stages:
            continue

        def stage_done(name, seconds, path=path):
            nonlocal done
            done += 1
            timings[name] = timings.get(name, 0.0) + seconds
            bar.update(done, f"{name} {path}")

        bar.update(done, f"{'+'.join(stages)} {path}")
        analyse_session(path, on_stage=stage_done, use_cnn=use_cnn)
    bar.close()
    return timings


def run(args):
    from analysis.study import analyse_study, load_study

    ordered_pair("--distance-window-um", args.distance_window_um, "um")
    t0 = time.perf_counter()
    timings = analyse_sessions(args.sessions, use_cnn=not args.no_cnn)
    t1 = time.perf_counter()
    window = (args.distance_window_um[0] * 1e-6, args.distance_window_um[1] * 1e-6)
    result = analyse_study(load_study(args.sessions, window))
    t2 = time.perf_counter()
    if args.report or args.json:
        from app.core.study_report import write_report  # matplotlib: not for ``nvscope --help``

        summary = write_report(result, args.report, args.json,
                               extra={"pipeline_timings_s": {k: round(v, 2) for k, v in timings.items()}},
                               figure_format=args.figures)
    else:
        summary = result.to_json_dict()
    t3 = time.perf_counter()
    stage_text = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) or "nothing to run"
    print(f"pipeline: {stage_text} ({t1 - t0:.1f} s); statistics {t2 - t1:.1f} s; report {t3 - t2:.1f} s",
          file=sys.stderr)
    for g in summary["per_concentration"]:
        mean = g["mean_normalised_field_t"]
        print(f"  {g['concentration_ug_per_ml']:g} ug/ml: {g['n_cells']} cells, mean normalised field "
              f"{'-' if mean is None else f'{mean * 1e6:.2f}'} uT", file=sys.stderr)
    if summary.get("b_max_t") is not None:
        print(f"B_max {summary['b_max_t'] * 1e6:.3f} +- {summary['b_max_err_t'] * 1e6:.3f} uT, half-maximum at "
              f"{summary['half_max_concentration_ug_per_ml']:.1f} +- "
              f"{summary['half_max_concentration_err_ug_per_ml']:.1f} ug/ml ({summary['headline_model']}; lower "
              f"AIC: {summary['preferred_model']}, delta AIC {summary['delta_aic']:.2f})", file=sys.stderr)
    if summary.get("saturation_fit_skipped"):
        print(f"saturation fit skipped: {summary['saturation_fit_skipped']}", file=sys.stderr)
    elif summary.get("model_choice_reason"):
        print(f"  ({summary['model_choice_reason']})", file=sys.stderr)
    for path in (args.report, args.json):
        if path:
            print(f"wrote {path}", file=sys.stderr)
    return 0
