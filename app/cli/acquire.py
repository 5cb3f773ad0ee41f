"""``nvscope acquire``: one CW-ODMR sweep, headless, into a session file (the same engine as the GUI)."""

import json
import os
import sys

from app.cli.progress import ProgressBar


def add_parser(sub):
    p = sub.add_parser("acquire", help="run a CW-ODMR sweep headless into a session file",
                       description="Run a CW-ODMR sweep and write every step to a session file as it completes. "
                       "With --mock (or no hardware configured) the virtual microscope is imaged.")
    p.add_argument("--out", required=True, help="session file to create (HDF5; never overwritten without --force)")
    p.add_argument("--force", action="store_true", help="replace an existing session file")
    p.add_argument("--config", help="instrument configuration TOML (default: the user's, else all mocks)")
    p.add_argument("--mock", action="store_true", help="use the mock instruments whatever the configuration says")
    sample = p.add_argument_group("simulated sample (mock instruments)")
    sample.add_argument("--cells", type=int, default=10, help="number of labelled cells (default 10)")
    sample.add_argument("--seed", type=int, default=0, help="random seed of the sample and the noise")
    sample.add_argument("--concentration", type=float, default=100.0,
                        help="SPION labelling concentration in ug/ml: sets the cells' iron mass (default 100)")
    sample.add_argument("--z-um", type=float, nargs=2, default=(8.0, 25.0), metavar=("MIN", "MAX"),
                        help="range of cell-centre distances from the NV layer in um (default 8 25)")
    sample.add_argument("--size", type=int, nargs=2, default=(256, 256), metavar=("ROWS", "COLS"),
                        help="detector pixels (default 256 256)")
    meta = p.add_argument_group("sample metadata")
    meta.add_argument("--name", default="", help="sample name stored in the session")
    meta.add_argument("--notes", default="", help="free-text notes stored in the session")
    plan = p.add_argument_group("sweep plan")
    plan.add_argument("--window-ghz", type=float, nargs=3, action="append", metavar=("START", "STOP", "POINTS"),
                      help="a frequency window (repeat for f- and f+); default: f- of the bias field +/- 6 MHz, "
                      "101 points")
    plan.add_argument("--pairs", type=int, default=300, help="on/off frame pairs per step (default 300)")
    plan.add_argument("--sweeps", type=int, default=1, help="sweeps to average (default 1)")
    plan.add_argument("--exposure-ms", type=float, default=1.0, help="exposure per frame in ms (default 1)")
    plan.add_argument("--power-dbm", type=float, default=0.0, help="RF power in dBm (default 0)")
    plan.add_argument("--scheme", choices=("software", "alternating"), default="software",
                      help="on/off switching: the engine toggles the RF output, or the camera gates an RF switch")
    plan.add_argument("--live-fit-every", type=int, default=0, metavar="N",
                      help="fit the completed steps every N steps while acquiring (in a worker thread; the "
                      "acquisition never waits for it); 0 = off (default)")
    p.set_defaults(handler=run)
    return "acquire"


def _plan(args):
    from app.core.simulated_sample import default_window_hz
    from instruments.sweep import SweepPlan

    if args.window_ghz:
        windows = [(a * 1e9, b * 1e9, int(n)) for a, b, n in args.window_ghz]
    else:
        windows = [default_window_hz(101)]
    return SweepPlan.from_windows(windows, pairs_per_step=args.pairs, n_sweeps=args.sweeps,
                                  exposure_s=args.exposure_ms * 1e-3, rf_power_dbm=args.power_dbm,
                                  scheme=args.scheme), windows


def simulated_microscope(args):
    """The virtual microscope the command line's sample options describe."""
    from instruments.virtual_microscope import (
        VirtualMicroscope,
        VirtualSample,
        iron_mass_for_concentration_kg,
        random_cells,
    )

    rows, cols = args.size
    cells = random_cells(args.cells, args.seed, n_rows=rows, n_cols=cols,
                         z_range_m=(args.z_um[0] * 1e-6, args.z_um[1] * 1e-6),
                         iron_mass_median_kg=iron_mass_for_concentration_kg(args.concentration))
    return VirtualMicroscope(VirtualSample(n_rows=rows, n_cols=cols, cells=cells), seed=args.seed)


def run(args):
    # here, not at the top: ``nvscope --help`` must not load numba (the controller's fitter)
    from app.core.acquisition_controller import AcquisitionController
    from app.core.session_files import H5Sessions
    from app.core.simulated_sample import truth_of
    from instruments.config import config_from_dict, load_config
    from instruments.factory import open_instruments
    from instruments.sweep import StepDone

    if os.path.exists(args.out) and not args.force:
        raise FileExistsError(f"{args.out} exists; a session is never replaced silently. Choose another --out, "
                              "or add --force to replace it.")
    config = config_from_dict({}) if args.mock else load_config(args.config)
    plan, windows = _plan(args)
    plan.check_limits(config.rf.min_frequency_hz, config.rf.max_frequency_hz, config.rf.max_power_dbm)
    uses_mock = "mock" in (config.camera.driver, config.rf.driver, config.shutter.driver)
    microscope = simulated_microscope(args) if uses_mock else None
    metadata = {"name": args.name, "spion_concentration_ug_per_ml": args.concentration, "notes": args.notes,
                "pixel_size_m": microscope.sample.pixel_size_m if microscope else None}
    settings = {"camera": vars(config.camera), "rf": vars(config.rf), "shutter": vars(config.shutter),
                "mock": uses_mock}
    import numpy as np  # here, not at the top: `nvscope --help` and usage errors load argparse only

    freq_windows = [np.linspace(a, b, n) for a, b, n in windows]

    # the GUI's session factory, writing in this process (the command has no window to keep responsive)
    make_session = H5Sessions().session_factory(
        args.out, plan, freq_windows_hz=freq_windows, instrument_settings=json.loads(json.dumps(settings, default=str)),
        sample_metadata=metadata, truth=(lambda: truth_of(microscope)) if microscope else None, overwrite=args.force)

    bar = ProgressBar(plan.n_steps * plan.n_sweeps, label="acquire")
    controller = AcquisitionController()
    every = args.live_fit_every

    def listen(event):
        if isinstance(event, StepDone):
            maps = controller.field_maps() if every > 0 else None
            note = "" if maps is None else f"| live fit {100 * maps.fit.converged_fraction:.1f} % converged"
            bar.update(event.steps_done, f"{event.freq_hz / 1e9:.6f} GHz {note}")

    with open_instruments(config, microscope=microscope) as inst:
        controller.start(plan, inst.camera, inst.rf, inst.shutter, window_sizes=[n for _, _, n in windows],
                         session_factory=make_session, pixel_size_m=metadata["pixel_size_m"],
                         d_hz=microscope.d_hz if microscope is not None else None, listeners=[listen],
                         frame_timeout_s=inst.frame_timeout_s, fit_every_steps=every)
        try:
            while controller.running:
                controller.wait(0.2)
        except KeyboardInterrupt:
            controller.stop()
            controller.wait()
        timing = controller.engine.timing.report()
        snapshot = controller.snapshot()
        controller.close()
    bar.close()
    print(f"{snapshot.status}: {args.out} ({plan.n_steps} steps x {plan.n_sweeps} sweeps x {plan.pairs_per_step} "
          "pairs); " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in timing.items()), file=sys.stderr)
    if snapshot.failure is not None:
        print(f"acquisition failed: {snapshot.failure} — every completed step is in {args.out}", file=sys.stderr)
        return 1
    return 0
