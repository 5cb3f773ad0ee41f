"""``nvscope acquire``: one CW-ODMR sweep, headless, into a session file (the same engine as the GUI)."""

import json
import os
import signal
import sys
import time

from app.cli.option_types import fill_defaults, finite, ordered_pair, whole
from app.cli.progress import ProgressBar

QUICK = {"size": (64, 64), "points": 41, "pairs": 20, "cells": 3}
"""``--quick``: a small sweep that runs in seconds (every option given explicitly still wins)."""
DEFAULTS = {"size": (256, 256), "points": 101, "pairs": 300, "cells": 10}


def add_parser(sub):
    p = sub.add_parser("acquire", help="run a CW-ODMR sweep headless into a session file",
                       description="Run a CW-ODMR sweep and write every step to a session file as it completes. "
                       "With --mock (or no hardware configured) the virtual microscope is imaged.")
    p.add_argument("--out", required=True, help="session file to create (HDF5; never overwritten without --force)")
    p.add_argument("--force", action="store_true", help="replace an existing session file")
    p.add_argument("--config", help="instrument configuration TOML (default: the user's, else all mocks)")
    p.add_argument("--mock", action="store_true", help="use the mock instruments whatever the configuration says")
    p.add_argument("--quick", action="store_true",
                   help="a small sweep that runs in seconds: 64 x 64 px, 41 points, 20 pairs, 3 cells (options "
                   "given explicitly win)")
    sample = p.add_argument_group("simulated sample (mock instruments)")
    sample.add_argument("--cells", type=whole(0), help="number of labelled cells (default 10; 0: a blank sample)")
    sample.add_argument("--seed", type=whole(0), default=0, help="random seed of the sample and the noise")
    sample.add_argument("--concentration", type=finite(0.0, 1e6), default=100.0,
                        help="SPION labelling concentration in ug/ml: sets the cells' iron mass (default 100)")
    sample.add_argument("--z-um", type=finite(strictly_above=0.0, maximum=1000.0), nargs=2, default=(8.0, 25.0),
                        metavar=("MIN", "MAX"),
                        help="range of cell-centre distances from the NV layer in um (default 8 25)")
    sample.add_argument("--size", type=whole(16, 100000), nargs=2, metavar=("ROWS", "COLS"),
                        help="detector pixels (default 256 256)")
    meta = p.add_argument_group("sample metadata")
    meta.add_argument("--name", default="", help="sample name stored in the session")
    meta.add_argument("--notes", default="", help="free-text notes stored in the session")
    plan = p.add_argument_group("sweep plan")
    plan.add_argument("--window-mhz", type=finite(), nargs=3, action="append", metavar=("START", "STOP", "POINTS"),
                      help="a frequency window in MHz, as in the app's sweep form (give it twice for f- and f+); "
                      "default: f- of the bias field +/- 6 MHz")
    plan.add_argument("--window-ghz", type=finite(), nargs=3, action="append", metavar=("START", "STOP", "POINTS"),
                      help="the same in GHz")
    plan.add_argument("--points", type=whole(3, 10001),
                      help="frequency steps of the default window (default 101)")
    plan.add_argument("--pairs", type=whole(1), help="on/off frame pairs per step (default 300)")
    plan.add_argument("--sweeps", type=whole(1), default=1, help="sweeps to average (default 1)")
    plan.add_argument("--exposure-ms", type=finite(), default=1.0, help="exposure per frame in ms (default 1)")
    plan.add_argument("--power-dbm", type=finite(), default=0.0, help="RF power in dBm (default 0)")
    plan.add_argument("--scheme", choices=("software", "alternating"), default="software",
                      help="on/off switching: the engine toggles the RF output, or the camera gates an RF switch")
    plan.add_argument("--live-fit-every", type=whole(0), default=0, metavar="N",
                      help="fit the completed steps every N steps while acquiring (in a worker thread; the "
                      "acquisition never waits for it); 0 = off (default)")
    adaptive = p.add_argument_group("adaptive sweep (docs/adaptive.md)")
    adaptive.add_argument("--adaptive", action="store_true",
                          help="spend the sweep's frames (windows x points x pairs) adaptively: a uniform first "
                          "pass into OUT.pass1.h5, then the planned frequencies and pairs into OUT")
    adaptive.add_argument("--first-pass-share", type=finite(strictly_above=0.0, maximum=1.0), default=None,
                          metavar="SHARE",
                          help="share of the pairs the first pass spends (default 0.2)")
    adaptive.add_argument("--adaptive-from", metavar="PREVIOUS.h5",
                          help="plan from this earlier session of the same sample (no first pass)")
    p.set_defaults(handler=run)
    return "acquire"


def resolve_defaults(args):
    """Fill the options left out from ``--quick`` or the defaults."""
    fill_defaults(args, QUICK if args.quick else DEFAULTS)
    args.z_um = ordered_pair("--z-um", args.z_um, "um")
    return args


_OPTION_OF = {"pairs": "--pairs", "sweeps": "--sweeps", "exposure_ms": "--exposure-ms", "power_dbm": "--power-dbm",
              "scheme": "--scheme", "plan": "the sweep plan"}


def _plan(args, limits):
    """The sweep plan, checked by the app's sweep form (``app.core.sweep_form``: the GUI's rules and messages)."""
    from app.core.simulated_sample import default_window_hz
    from app.core.sweep_form import ONE_WINDOW, TWO_WINDOWS, parse_sweep_form

    windows = [(a, b, n) for a, b, n in args.window_mhz or ()]
    windows += [(a * 1e3, b * 1e3, n) for a, b, n in args.window_ghz or ()]
    window_option = "--window-mhz" if args.window_mhz else "--window-ghz"
    if not windows:
        a, b, n = default_window_hz(args.points)
        windows = [(a / 1e6, b / 1e6, n)]
    if len(windows) > 2:
        raise ValueError(f"{len(windows)} windows given; give one window, or two (f- and f+).")
    values = {"mode": TWO_WINDOWS if len(windows) == 2 else ONE_WINDOW, "scheme": args.scheme,
              "pairs": str(args.pairs), "sweeps": str(args.sweeps), "exposure_ms": repr(args.exposure_ms),
              "power_dbm": repr(args.power_dbm)}
    for prefix, (a, b, n) in zip(("w1", "w2"), windows, strict=False):
        values.update({f"{prefix}_start_mhz": repr(float(a)), f"{prefix}_stop_mhz": repr(float(b)),
                       f"{prefix}_points": repr(float(n))})
    form = parse_sweep_form(values, limits)
    if not form.valid:
        raise ValueError(" ".join(f"{_OPTION_OF.get(key, window_option)}: {text}"
                                   for key, text in form.errors.items()))
    windows_hz = [(a * 1e6, b * 1e6, int(n)) for a, b, n in windows]
    return form.plan, windows_hz


def simulated_microscope(args, calibration):
    """The virtual microscope the command line's sample options describe, imaged with ``calibration`` (its
    pixel size with binning; its NV axis in the image frame)."""
    from instruments.virtual_microscope import (
        VirtualMicroscope,
        VirtualSample,
        iron_mass_for_concentration_kg,
        random_cells,
    )

    rows, cols = args.size
    pixel_m = calibration.pixel_size_m
    cells = random_cells(args.cells, args.seed, n_rows=rows, n_cols=cols, pixel_size_m=pixel_m,
                         z_range_m=(args.z_um[0] * 1e-6, args.z_um[1] * 1e-6),
                         iron_mass_median_kg=iron_mass_for_concentration_kg(args.concentration))
    sample = VirtualSample(n_rows=rows, n_cols=cols, cells=cells, pixel_size_m=pixel_m,
                           nv_azimuth_deg=calibration.image_nv_azimuth_deg)
    return VirtualMicroscope(sample, seed=args.seed)


def _lab_config(path):
    """The configuration at ``path``; one that cannot be used stops the command (never silently the mocks)."""
    from instruments.config import load_config
    from instruments.errors import ConfigError

    try:
        return load_config(path)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Fix the configuration, or add --mock to image the virtual microscope "
                          "instead.") from None


def _opened(config, microscope, open_instruments):
    from instruments.errors import InstrumentError

    try:
        return open_instruments(config, microscope=microscope)
    except InstrumentError as exc:
        if microscope is not None:
            raise
        raise InstrumentError(f"{exc} Check the instruments and the configuration, or add --mock to image the "
                              "virtual microscope instead.") from None


def run(args):
    # here, not at the top: ``nvscope --help`` must not load numba (the controller's fitter)
    from app.core.adaptive_plan import first_pass_path
    from app.core.adaptive_sweep import AdaptiveController
    from app.core.factory_backend import backend_calibration
    from app.core.instruments import InstrumentLimits
    from app.core.run_estimate import check_run
    from app.core.session_files import H5Sessions, with_calibration
    from app.core.simulated_sample import truth_of
    from instruments.config import config_from_dict
    from instruments.factory import open_instruments
    from instruments.shutdown import HANDLED_SIGNALS, exit_code_for, termination_signals_raise
    from instruments.sweep import StepDone

    adaptive = args.adaptive or args.adaptive_from is not None
    if args.first_pass_share is not None and (not args.adaptive or args.adaptive_from):
        raise ValueError("--first-pass-share sets the first pass of --adaptive; --adaptive-from has no first pass.")
    if adaptive and args.sweeps != 1:
        raise ValueError(f"--sweeps {args.sweeps}: an adaptive sweep runs each pass once; give the frames as "
                         "--pairs (the budget is windows x points x pairs).")
    outputs = [args.out] + ([first_pass_path(args.out)] if args.adaptive and not args.adaptive_from else [])
    for out in outputs:
        if os.path.exists(out) and not args.force:
            raise FileExistsError(f"{out} exists; a session is never replaced silently. Choose another --out, "
                                  "or add --force to replace it.")
    resolve_defaults(args)
    config = config_from_dict({}) if args.mock else _lab_config(args.config)
    limits = InstrumentLimits(min_frequency_hz=config.rf.min_frequency_hz,
                              max_frequency_hz=config.rf.max_frequency_hz, max_power_dbm=config.rf.max_power_dbm)
    plan, windows = _plan(args, limits)
    uses_mock = "mock" in (config.camera.driver, config.rf.driver, config.shutter.driver)
    rows, cols = args.size if uses_mock else (config.microscope.n_rows, config.microscope.n_cols)
    _, estimate = check_run(plan, rows, cols)  # before the sample is built: --size 100000 100000 stops here
    # the [microscope] calibration (no --config and --mock: the defaults'), written into the session with binning
    calibration = backend_calibration(config, config_path=None if args.mock else args.config)
    microscope = simulated_microscope(args, calibration) if uses_mock else None
    print(f"acquire: {estimate}", file=sys.stderr)
    metadata = with_calibration({"name": args.name, "spion_concentration_ug_per_ml": args.concentration,
                                 "notes": args.notes}, calibration)
    settings = {"camera": vars(config.camera), "rf": vars(config.rf), "shutter": vars(config.shutter),
                "mock": uses_mock}
    import numpy as np  # here, not at the top: `nvscope --help` and usage errors load argparse only

    freq_windows = [np.linspace(a, b, n) for a, b, n in windows]

    sessions = H5Sessions()  # the GUI's session files, written in this process (no window to keep responsive)

    def make_factory(path, sweep_plan, freq_windows_hz, extra_metadata):
        return sessions.session_factory(
            path, sweep_plan, freq_windows_hz=freq_windows_hz,
            instrument_settings=json.loads(json.dumps(settings, default=str)),
            sample_metadata={**metadata, **extra_metadata},
            truth=(lambda: truth_of(microscope)) if microscope else None, overwrite=args.force)

    bar = ProgressBar(plan.n_steps * plan.n_sweeps, label="acquire")
    controller = AdaptiveController()
    every = args.live_fit_every

    def listen(event):
        if isinstance(event, StepDone):
            maps = controller.field_maps() if every > 0 else None
            note = "" if maps is None else f"| live fit {100 * maps.fit.converged_fraction:.1f} % converged"
            stage = controller.snapshot().stage
            if event.steps_total != bar.total:
                bar.restart(event.steps_total, f"acquire {stage}" if stage else None)
            bar.update(event.steps_done, f"{event.freq_hz / 1e6:.3f} MHz {note}")  # the form's unit

    stopped = []  # the signal (as TerminationRequested / KeyboardInterrupt) that ended the run, if any
    # SIGTERM/SIGHUP (a closed terminal) raise like Ctrl-C; SIGINT too, so that a second Ctrl-C cannot cut
    # the clean-up short (the engine is switching the RF off and writing the aborted status)
    with termination_signals_raise((signal.SIGINT, *HANDLED_SIGNALS)):
        try:
            with _opened(config, microscope, open_instruments) as inst:
                common = dict(pixel_size_m=metadata["pixel_size_m"],
                              d_hz=microscope.d_hz if microscope is not None else None, listeners=[listen],
                              frame_timeout_s=inst.frame_timeout_s, fit_every_steps=every)
                try:
                    _start(controller, args, adaptive, plan, inst, windows, make_factory, freq_windows, common)
                    while controller.running:  # not a join: a signal interrupting Thread.join breaks later
                        time.sleep(0.1)        # joins of that thread (they return at once; CPython 3.11)
                except KeyboardInterrupt as exc:
                    stopped.append(exc)
                finally:  # a signal or any error here: the engine's thread makes safe and records the status
                    _stop_and_wait(controller, stopped[0] if stopped else None)
                timing = controller.engine.timing.report() if controller.engine is not None else {}
                snapshot = controller.snapshot()
                controller.close()
        except KeyboardInterrupt as exc:  # while the instruments were opened or closed (closing makes them safe)
            stopped.append(exc)
            _stop_and_wait(controller, exc)
            snapshot = controller.snapshot()
            if snapshot.status == "idle":
                print(f"acquire: {exc}; no step was acquired.", file=sys.stderr)
                return exit_code_for(exc)
    bar.close()
    if stopped:
        where = " and ".join(controller.paths) if adaptive and controller.paths else args.out
        print(f"acquire: {stopped[0]}: RF off, shutter closed; {snapshot.steps_done} completed steps kept in "
              f"{where} (status {snapshot.status}).", file=sys.stderr)
        return exit_code_for(stopped[0])
    if adaptive:
        _report_adaptive(controller, snapshot, sessions, metadata["pixel_size_m"])
    else:
        print(f"{snapshot.status}: {args.out} ({plan.n_steps} steps x {plan.n_sweeps} sweeps x "
              f"{_pairs_text(plan)} pairs); " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in timing.items()),
              file=sys.stderr)
    if snapshot.failure is not None:
        where = " and ".join(controller.paths) if adaptive and controller.paths else args.out
        print(f"acquisition failed: {snapshot.failure} — every completed step is in {where}", file=sys.stderr)
        return 1
    return 0


def _start(controller, args, adaptive, plan, inst, windows, make_factory, freq_windows, common):
    from app.core.adaptive_plan import FIRST_PASS_SHARE

    sizes = [n for _, _, n in windows]
    if adaptive:
        controller.start_adaptive(plan, inst.camera, inst.rf, inst.shutter, window_sizes=sizes,
                                  make_factory=make_factory, out_path=args.out,
                                  first_share=args.first_pass_share or FIRST_PASS_SHARE,
                                  previous_path=args.adaptive_from, **common)
    else:
        controller.start(plan, inst.camera, inst.rf, inst.shutter, window_sizes=sizes,
                         session_factory=make_factory(args.out, plan, freq_windows, {}), **common)


def _stop_and_wait(controller, stopped):
    """Abort a sweep still running (a signal, or an error in this thread) and wait until its thread has switched
    the RF off, closed the shutter and written the aborted status with every completed step."""
    if not controller.running:
        controller.wait()
        return
    controller.fitter.close(timeout=0)  # no fit of the steps so far: the command is ending
    controller.stop(str(stopped) if stopped is not None else "the acquire command stopped on an error")
    controller.wait()
    # a fit still running in its thread (numba) when the interpreter exits can crash the process
    controller.fitter.close(timeout=60)


def _pairs_text(plan):
    pairs = plan.pairs_array
    return f"{pairs[0]}" if pairs.min() == pairs.max() else f"{pairs.min()}-{pairs.max()} (per step)"


def _report_adaptive(controller, snapshot, sessions, pixel_size_m):
    """Print the passes and write the combined fit (both passes, pair-weighted) into the adaptive pass's file."""
    import numpy as np

    plan = controller.adaptive_plan
    planned = "" if plan is None else (f"; plan {plan.freq_hz.size} steps, {plan.total_pairs} pairs, predicted "
                                       f"gain {plan.predicted_gain:.2f}x over a uniform sweep")
    print(f"{snapshot.status}: {', '.join(controller.paths) or 'no file'}{planned}", file=sys.stderr)
    maps = snapshot.field
    if maps is None:
        return
    if plan is not None and len(controller.paths) and os.path.exists(controller.paths[-1]):
        sessions.write_field_maps(controller.paths[-1], maps, pixel_size_m)
    ok = np.asarray(maps.fit.converged, dtype=bool)
    err = np.asarray(maps.fit.b_nv_err_t, dtype=np.float64)[ok]
    err = err[np.isfinite(err)]
    print(f"combined fit of {maps.n_steps_used} frequencies: {100 * ok.mean():.1f} % of pixels converged, median "
          f"B_NV standard error {np.median(err) * 1e9:.1f} nT" if err.size else "combined fit: no pixel converged",
          file=sys.stderr)
