"""``nvscope study``: the labelling study over many sessions -> HTML report (+ JSON summary).

Sessions that lack results get them first (ODMR fit, background, field map; cell detection, CNN and physics
refinement), written into the session files, with a progress bar, in this process, in local worker processes
(--jobs) or on a dask cluster (--scheduler) (``app.core.study_runner``); then the sessions are grouped by their
SPION concentration and compared (``analysis.study``). A session that fails is left out with its reason.
"""

import sys
import time

from app.cli.option_types import finite, ordered_pair, whole
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
    how = p.add_mutually_exclusive_group()
    how.add_argument("--jobs", type=whole(1, 1024), default=1, metavar="N",
                     help="analyse N sessions at a time in local worker processes (default 1: in this process)")
    how.add_argument("--scheduler", metavar="ADDRESS",
                     help="analyse the sessions on a dask.distributed cluster: the scheduler's address (e.g. "
                     "tcp://host:8786; the session paths must be readable on the workers), or local:N to start N "
                     "worker processes here")
    p.add_argument("--force", action="store_true",
                   help="re-analyse every session (fit and cells), even those that have results (sessions whose "
                   "cells came from another CNN than the current one are re-analysed anyway)")
    p.add_argument("--numba-cache-dir", metavar="DIR",
                   help="numba compile cache for every worker (default: $NUMBA_CACHE_DIR, else beside the code)")
    p.set_defaults(handler=run)
    return "study"


def _progress(total, stream=None):
    """on_result for the runner: a progress bar per finished session, and a line per re-analysed or failed one."""
    bar = ProgressBar(total, label="study", stream=stream)
    bar.update(0, "starting")

    def on_result(done, total, result):
        if result["note"]:
            print(f"\n  {result['path']}: {result['note']}", file=stream or sys.stderr)
        if not result["ok"]:
            print(f"\n  {result['path']}: FAILED, left out: {result['reason']}", file=stream or sys.stderr)
        bar.update(done, f"{'+'.join(result['stages_s']) or 'read'} {result['path']}")
        if done == total:
            bar.close()

    return on_result


def run(args):
    from app.core.study_paths import without_first_passes
    from app.core.study_runner import run_study_sessions, study_result

    ordered_pair("--distance-window-um", args.distance_window_um, "um")
    window = (args.distance_window_um[0] * 1e-6, args.distance_window_um[1] * 1e-6)
    sessions, skipped = without_first_passes(args.sessions)
    for path, why in skipped:
        print(f"  {path}: not a session of its own: {why}", file=sys.stderr)
    t0 = time.perf_counter()
    run_ = run_study_sessions(sessions, jobs=args.jobs, scheduler=args.scheduler, force=args.force,
                              use_cnn=not args.no_cnn, distance_window_m=window,
                              numba_cache_dir=args.numba_cache_dir, on_result=_progress(len(sessions)))
    t1 = time.perf_counter()
    failed = [{"path": path, "reason": reason} for path, reason in run_.failures]
    result = study_result(run_)
    t2 = time.perf_counter()
    extra = {"pipeline_timings_s": {k: round(v, 2) for k, v in run_.stage_seconds.items()},
             "pipeline_wall_s": round(run_.wall_s, 2), "pipeline_workers": run_.workers, "failed_sessions": failed}
    if args.report or args.json:
        from app.core.study_report import write_report  # matplotlib: not for ``nvscope --help``

        summary = write_report(result, args.report, args.json, extra=extra, figure_format=args.figures)
    else:
        summary = {**result.to_json_dict(), **extra}
    t3 = time.perf_counter()
    stage_text = ", ".join(f"{k} {v:.1f} s" for k, v in run_.stage_seconds.items()) or "nothing to run"
    print(f"pipeline on {run_.workers}: {stage_text} ({t1 - t0:.1f} s); statistics {t2 - t1:.1f} s; report "
          f"{t3 - t2:.1f} s", file=sys.stderr)
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
    for f in failed:
        print(f"left out {f['path']}: {f['reason']}", file=sys.stderr)
    return 1 if failed else 0
