"""The seams the later parts plug into: the analysis the seams default to, cell results in either shape, the cell
table's formatting, an injected cell analyzer driven by a click on the field map, and the instrument layer behind
the window."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from app.core.analysis_seams import AnalysisSeams
from app.core.cells import CellRow, cell_rows
from app.gui.cell_table import COLUMNS, CellTableModel, format_value
from app.gui.views.snippet_triptych import snippet_around
from tests.gui_helpers import open_window, run_to_end


def test_the_seams_default_to_the_real_fit_and_background_removal():
    from analysis.background import remove_background
    from analysis.odmr import fit_odmr

    seams = AnalysisSeams()
    assert seams.fit_odmr is fit_odmr and seams.remove_background is remove_background
    assert seams.cell_analyzer is None and seams.sessions is None


def test_cell_rows_from_records_and_from_arrays():
    arrays = {"row_px": np.array([10.0, 20.0]), "col_px": np.array([5.0, 6.0]), "z_m": np.array([15e-6, 9e-6]),
              "z_m_err": np.array([1e-6, 0.5e-6]), "iron_mass_g": np.array([1.75e-12, 1e-12]),
              "flag": np.array([0, 8]), "flag_names": np.array(["", "EDGE"], dtype=object)}
    rows = cell_rows(arrays)
    assert [(r.row_px, r.col_px, r.flag, r.flag_text) for r in rows] == [(10, 5, 0, "ok"), (20, 6, 8, "EDGE")]
    assert rows[1].z_m_err == 0.5e-6 and np.isnan(rows[0].diameter_m)
    records = [CellRow(1, 2, z_m=12e-6), {"row_px": 3, "col_px": 4, "normalised_field_t": 2.71e-6}]
    assert [r.row_px for r in cell_rows(records)] == [1, 3] and cell_rows(records)[1].normalised_field_t == 2.71e-6


def test_cell_table_shows_display_units_with_errors():
    model = CellTableModel()
    model.set_rows([CellRow(10, 5, z_m=15.2e-6, z_m_err=0.83e-6, iron_mass_g=1.75e-12, iron_mass_g_err=0.12e-12,
                            normalised_field_t=2.71e-6)])
    headers = [c[0] for c in COLUMNS]
    text = {h: model.data(model.index(0, k)) for k, h in enumerate(headers)}
    assert text["z (µm)"] == "15.20 ± 0.83"
    assert text["m_Fe (pg)"] == "1.75 ± 0.12"
    assert text["B_norm (µT)"] == "2.71" and text["d (µm)"] == "—" and text["flag"] == "ok"
    assert format_value(1.23456e-6, 0.05e-6, 1e6) == "1.235 ± 0.050"  # two significant digits of the error
    assert format_value(0.90921, decimals=2) == "0.91" and format_value(7.29, decimals=2) == "7.29"


def test_snippet_around_pads_with_nan_at_the_edge():
    image = np.arange(100.0).reshape(10, 10)
    snip = snippet_around(image, 0, 9, size=4)
    assert snip[2, 2] == image[0, 9] and np.isnan(snip[0, 0]) and np.isnan(snip[2, 3])


def test_injected_cell_analyzer_runs_on_a_click(qtbot, tmp_path):
    calls = []

    def analyzer(b_nv_map_t, pixel_size_m, positions_px=None, noise_t=None, **calibration_and_steps):
        calls.append((b_nv_map_t.shape, pixel_size_m, positions_px))
        row, col = positions_px[0]
        snippet = snippet_around(b_nv_map_t, row, col)
        return [{"row_px": row, "col_px": col, "z_m": 10e-6, "z_m_err": 1e-6, "iron_mass_g": 2e-12,
                 "measured_t": snippet, "model_t": snippet * 0.9, "residual_t": snippet * 0.1}]

    window, vm = open_window(qtbot, tmp_path, seams=AnalysisSeams(cell_analyzer=analyzer))
    window.start_sweep()
    run_to_end(qtbot, window)
    view = window.field_view.view
    qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=view.viewport_pos_of_pixel(24, 23))
    qtbot.waitUntil(lambda: window.cell_panel.model.rowCount() == 1, timeout=5000)
    assert calls == [((48, 48), vm.sample.pixel_size_m, [(24, 23)])]
    assert window.cell_panel.model.data(window.cell_panel.model.index(0, 2)) == "10.0 ± 1.0"
    triptych = window.cell_panel.triptych
    for name in ("measured", "reconstructed", "residual"):
        assert triptych.shown(name).shape == (32, 32)
    np.testing.assert_allclose(triptych.shown("reconstructed"), triptych.shown("measured") * 0.9, rtol=1e-6)


def test_the_instrument_layer_behind_the_window(qtbot, tmp_path):
    """The default configuration (all mocks: pylablib mock camera, SCPI mock generator over pyvisa, mock shutter)
    through FactoryBackend: the window connects, shows the *IDN? reply, runs a sweep and leaves things safe."""
    from app.core.factory_backend import FactoryBackend
    from app.gui.main_window import MainWindow
    from instruments.config import load_config
    from tests.gui_helpers import small_microscope, sweep_values

    vm = small_microscope()
    backend = FactoryBackend(load_config(), microscope=vm)
    assert all(backend.is_mock(n) for n in ("camera", "rf", "shutter")) and backend.frame_shape == (48, 48)
    window = MainWindow(backend, settings_path=tmp_path / "settings.ini", log_dir=tmp_path / "logs")
    qtbot.addWidget(window)
    qtbot.waitUntil(window.instruments.all_connected, timeout=10000)
    assert "," in window.instruments.identities["rf"].text()  # an *IDN? reply: maker, model, serial, firmware
    window.sweep_panel.set_values({**window.sweep_panel.values(), **sweep_values(vm, points=11, pairs=2)})
    window.start_sweep()
    run_to_end(qtbot, window)
    assert window.controller.snapshot().status == "finished" and window.field_view.maps is not None
    window.close()
    assert not vm.state.rf_on and not vm.state.shutter_open


def test_make_backend_without_a_config_gives_mock_instruments():
    from app.core.factory_backend import make_backend

    backend = make_backend(None)
    try:
        assert all(backend.is_mock(n) for n in ("camera", "rf", "shutter"))
        assert "virtual microscope" in backend.description and backend.microscope is not None
    finally:
        backend.close()


def test_a_bad_configuration_gives_the_mocks_only_with_the_reason(tmp_path):
    from app.gui.gui_main import choose_backend

    bad = tmp_path / "lab.toml"
    bad.write_text("[camera\nkind = 'pvcam'\n")  # not valid TOML
    backend, problem = choose_backend(str(bad))
    assert problem is not None and "is not valid TOML" in str(problem) and str(bad) in str(problem)
    assert all(backend.is_mock(name) for name in ("camera", "rf", "shutter"))
    backend, problem = choose_backend(None)
    assert problem is None and backend.is_mock("rf")


def test_a_bad_configuration_asks_before_using_the_mocks_and_quit_exits_2(qtbot, tmp_path, capsys):
    from argparse import Namespace

    from app.gui.gui_main import USE_MOCKS, mock_consent_box, run_gui

    bad = tmp_path / "lab.toml"
    bad.write_text("[camera\nkind = 'pvcam'\n")
    asked = []
    assert run_gui(Namespace(config=str(bad), session=None), consent=lambda p: asked.append(p) or False) == 2
    assert len(asked) == 1 and "is not valid TOML" in str(asked[0])
    err = capsys.readouterr().err
    assert "cannot be used" in err and "is not valid TOML" in err
    box = mock_consent_box(asked[0])
    qtbot.addWidget(box)
    assert [b.text() for b in box.buttons()].count(USE_MOCKS) == 1
    assert box.defaultButton().text() == "Quit" and "is not valid TOML" in box.text()


def test_no_display_gives_nvscopes_own_message_and_code_2(monkeypatch, capsys):
    from argparse import Namespace

    from app.gui.gui_main import run_gui

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert run_gui(Namespace(config=None, session=None)) == 2
    assert "no display is available" in capsys.readouterr().err



def _run_gui_once(monkeypatch, tmp_path, after_start, config=None):
    """run_gui on the mocks (``config``: as ``mock_backend``'s) with the window's settings and log in ``tmp_path``;
    ``after_start`` runs 300 ms after the window is made (the user quits, a signal arrives). Returns (exit status,
    the window)."""
    from argparse import Namespace

    from PyQt6.QtCore import QTimer

    import app.gui.gui_main as gui_main
    from app.gui.main_window import MainWindow
    from tests.gui_helpers import mock_backend

    made = []

    class RecordedWindow(MainWindow):
        def __init__(self, backend):
            super().__init__(backend, settings_path=tmp_path / "settings.ini", log_dir=str(tmp_path / "logs"))
            made.append(self)
            QTimer.singleShot(300, lambda: after_start(self))

    monkeypatch.setattr(gui_main, "MainWindow", RecordedWindow)
    monkeypatch.setattr(gui_main, "choose_backend", lambda _: (mock_backend(config=config), None))
    monkeypatch.setattr(gui_main, "freeze_startup_objects", lambda: None)  # not in a test process
    status = gui_main.run_gui(Namespace(config=None, session=None))
    assert len(made) == 1
    return status, made[0]


def test_run_gui_shuts_the_window_down_and_deletes_it_before_the_interpreter_exits(qtbot, monkeypatch, tmp_path):
    """Left for the interpreter's exit, PyQt destroyed the window's objects in no set order and crashed now and
    then (SIGSEGV after everything was saved): run_gui deletes it itself, shut down, and restores the hook."""
    import sys

    from PyQt6 import sip

    from app.gui.gui_main import delete_window

    hook = sys.excepthook
    status, window = _run_gui_once(monkeypatch, tmp_path, lambda w: w.close())  # the user quits at once
    assert status == 0 and sip.isdeleted(window)
    assert sys.excepthook is hook
    delete_window(window)  # a second call does nothing


def test_ctrl_c_closes_the_app_as_quit_does_and_exits_130(qtbot, monkeypatch, tmp_path):
    """A signal closes every window (the main window shuts down: sweep stopped, RF off, file closed) instead of
    raising KeyboardInterrupt inside a Qt slot; the exit status is 128 + the signal; the handlers are restored."""
    import os
    import signal

    from PyQt6 import sip

    before = signal.getsignal(signal.SIGINT)
    status, window = _run_gui_once(monkeypatch, tmp_path, lambda w: os.kill(os.getpid(), signal.SIGINT))
    assert status == 128 + signal.SIGINT and sip.isdeleted(window)
    assert signal.getsignal(signal.SIGINT) is before


def test_a_signal_mid_sweep_is_the_sessions_aborted_reason(qtbot, monkeypatch, tmp_path):
    """SIGTERM to the desktop app mid-sweep: the file says "aborted" with the signal as its reason, as a sweep that
    ``nvscope acquire`` stopped says it, and keeps its completed steps."""
    import os
    import signal

    from PyQt6.QtCore import QTimer

    from analysis.session import read_session
    from tests.gui_helpers import small_microscope, sweep_values

    paths = []

    def start_then_signal(window):
        window.session_actions.set_data_dir(tmp_path / "sessions")  # never the user's own data folder
        window.sweep_panel.set_values({**window.sweep_panel.values(),
                                       **sweep_values(small_microscope(), points=41, pairs=20)})
        window.start_sweep()
        paths.append(window.session_actions.live_path)

        def signal_after_two_steps():
            if window.controller.snapshot().steps_done >= 2:
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                QTimer.singleShot(20, signal_after_two_steps)

        signal_after_two_steps()

    status, _ = _run_gui_once(monkeypatch, tmp_path, start_then_signal, config={"camera": {"readout_s": 0.002}})
    assert status == 128 + signal.SIGTERM
    session = read_session(paths[0])
    assert session.status == "aborted" and session.status_reason == "SIGTERM received: the run was stopped"
    assert 2 <= session.n_steps_completed < session.n_steps


def test_the_windows_live_fit_runs_in_a_process_that_ends_with_the_window(qtbot, tmp_path):
    """The window's default seams fit in a process of their own (no fit numpy in the GUI's process); the map it
    sends back is the window's, and closing the window ends that process."""
    import os

    from app.core.fit_process import FitProcess

    window, vm = open_window(qtbot, tmp_path)
    fits = window.seams.live_fits
    assert isinstance(fits, FitProcess)
    window.start_sweep()
    run_to_end(qtbot, window)
    maps = window.controller.field_maps()
    assert maps is not None and window.controller.fitter.last_error is None and fits.pid is not None
    assert maps.n_steps_used == window.controller.plan.n_steps and maps.fit.converged_fraction > 0.9
    pid = fits.pid
    window.close()
    assert fits.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: gone
