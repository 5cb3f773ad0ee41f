"""The command line checks what the GUI checks: every bad value stops with its option, the value and what to
do, exit code 2, no traceback, before anything runs; and a lab configuration never silently becomes the mocks."""

import pytest

from app.cli import main
from app.cli.main import build_parser, parse


def _refused(capsys, argv):
    """(exit code, stderr) of ``nvscope argv``, whether argparse or the command refused it."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


ACQUIRE = ["acquire", "--mock", "--out"]


@pytest.mark.parametrize("extra, expected", [
    (["--cells", "-5"], ("--cells", "-5", "0 or more")),
    (["--pairs", "0"], ("--pairs", "0", "1 or more")),
    (["--pairs", "1e6"], ("--pairs", "'1e6'", "whole number")),
    (["--sweeps", "-1"], ("--sweeps", "-1", "1 or more")),
    (["--window-ghz", "2.02", "2.03", "inf"], ("--window-ghz", "inf", "finite")),
    (["--z-um", "nan", "25"], ("--z-um", "nan", "finite")),
    (["--z-um", "-1", "25"], ("--z-um", "-1", "above 0")),
    (["--z-um", "30", "25"], ("--z-um", "30 25", "MIN <= MAX")),
    (["--size", "8", "8"], ("--size", "8", "16")),
    (["--window-ghz", "5", "6", "11"], ("--window-ghz", "5000 MHz", "rf.max_frequency_hz")),
    (["--window-mhz", "2030", "2020", "11"], ("--window-mhz", "must be above Start")),
    (["--exposure-ms", "-1"], ("--exposure-ms", "-1 ms", "minimum")),
    (["--power-dbm", "30"], ("--power-dbm", "30 dBm", "rf.max_power_dbm")),
    (["--pairs", "1000000"], ("--pairs", "1e+06", "maximum of 100000")),
    (["--pairs", "100000", "--sweeps", "100"], ("about 129 d", "over a day", "fewer --pairs")),
    (["--size", "100000", "100000"], ("GB of memory", "this machine has", "smaller --size")),
])
def test_acquire_refuses_values_it_cannot_use(tmp_path, capsys, extra, expected):
    out = tmp_path / "s.h5"
    code, err = _refused(capsys, [*ACQUIRE, str(out), *extra])
    assert code == 2
    for text in expected:
        assert text in err
    assert not out.exists()  # refused before anything ran


@pytest.mark.parametrize("argv, expected", [
    (["--cels", "10"], "--cels (did you mean --cells?)"),
    (["--cell", "3"], "--cell (did you mean --cells?)"),  # no abbreviations: never silently --cells
    (["--seeds", "3"], "did you mean --seed?"),
])
def test_unknown_options_are_named_on_the_sub_commands_usage_with_the_closest(tmp_path, capsys, argv, expected):
    code, err = _refused(capsys, [*ACQUIRE, str(tmp_path / "s.h5"), *argv])
    assert code == 2 and expected in err
    assert "usage: nvscope acquire" in err


@pytest.mark.parametrize("argv, expected", [
    (["fit", "s.h5", "--order", "50"], "--order: 50 is not allowed; give a whole number from 0 to 6"),
    (["fit", "s.h5", "--binning", "0"], "--binning: 0"),
    (["fit", "s.h5", "--d-ghz", "nan"], "--d-ghz: nan is not a finite number"),
    (["study", "a.h5", "--distance-window-um", "35", "4"], "MIN <= MAX"),
    (["simulate-study", "--out", "x", "--cells", "-5"], "--cells: -5"),
    (["simulate-study", "--out", "x", "--concentrations", "0"], "--concentrations: 0 is not allowed"),
    (["simulate-study", "--out", "x", "--points", "1"], "--points: 1"),
])
def test_the_other_commands_check_their_numbers_too(capsys, argv, expected):
    code, err = _refused(capsys, argv)
    assert code == 2 and expected in err


def test_top_level_config_starts_the_gui_with_it_and_shows_in_help():
    parser = build_parser()
    assert "--config" in parser.format_help()
    args = parse(parser, ["--config", "my_lab.toml"])
    assert args.command == "gui" and args.config == "my_lab.toml" and args.session is None
    args = parse(parser, ["s.h5"])
    assert args.command == "gui" and args.session == "s.h5"
    args = parse(parser, ["gui", "--config", "lab.toml", "s.h5"])
    assert args.config == "lab.toml" and args.session == "s.h5"


def test_an_unusable_lab_configuration_stops_acquire_and_names_mock(tmp_path, capsys):
    bad = tmp_path / "lab.toml"
    bad.write_text("[rf]\ndriver = 'scpi'\n")  # no VISA resource
    out = tmp_path / "s.h5"
    code, err = _refused(capsys, ["acquire", "--config", str(bad), "--out", str(out)])
    assert code == 2 and "rf.resource" in err and "--mock" in err and not out.exists()
    code, err = _refused(capsys, ["acquire", "--config", str(tmp_path / "none.toml"), "--out", str(out)])
    assert code == 2 and "does not exist" in err and "--mock" in err


def test_the_estimate_of_the_default_run_matches_the_measured_5_min_45_s():
    from app.core.run_estimate import check_run, duration_text
    from instruments.sweep import SweepPlan

    plan = SweepPlan.from_windows([(2.02e9, 2.03e9, 101)], pairs_per_step=300)
    seconds, line = check_run(plan, 256, 256, memory_bytes=8e9)
    assert 300 < seconds < 400  # measured 345 s on the mock chain under load
    assert line.startswith("about 5 min") and "101 steps x 300 pairs" in line and "Ctrl-C" in line
    assert duration_text(3 * 86400 + 7200) == "3 d 2 h" and duration_text(12) == "12 s"


def test_an_option_without_a_sub_command_is_named_with_the_closest_option(capsys):
    from app.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["--cels", "10"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--cels (did you mean --cells?)" in err and "nvscope acquire" in err
