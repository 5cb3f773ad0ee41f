"""``nvscope study --report`` where PyQt6 and pyqtgraph cannot be imported (a headless server): the report's
figures come from matplotlib, in every format the command offers."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.study_simulation import DEFAULT_MEAN_Z_UM
from tests.study_fakes import tiny_study, write_synthetic_cells

ROOT = Path(__file__).resolve().parents[2]
# sys.modules[name] = None makes ``import name`` raise ImportError, as on a machine without the package
_NO_QT = ("import sys\nfor name in ('PyQt6', 'pyqtgraph'):\n    sys.modules[name] = None\n"
          "from app.cli import main\nsys.exit(main(sys.argv[1:]))\n")


def _run_without_qt(*args):
    return subprocess.run([sys.executable, "-c", _NO_QT, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("headless_study")
    paths = tiny_study(folder)
    for i, path in enumerate(paths):
        write_synthetic_cells(path, 40, DEFAULT_MEAN_Z_UM[i] * 1e-6, seed=300 + i)
    return [str(p) for p in paths]


def test_the_import_hook_really_blocks_qt():
    out = subprocess.run([sys.executable, "-c", _NO_QT.replace("from app.cli import main", "import PyQt6")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "import of PyQt6 halted" in out.stderr


@pytest.mark.slow
def test_study_report_without_qt_embeds_png_and_svg_and_links_pdf(sessions, tmp_path):
    png_report, summary = tmp_path / "report.html", tmp_path / "summary.json"
    out = _run_without_qt("study", *sessions, "--report", str(png_report), "--json", str(summary))
    assert out.returncode == 0, out.stderr
    text = png_report.read_text()
    pngs = re.findall(r"<figure id='(\w+)'><img [^>]*src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert [k for k, _ in pngs] == ["fig2d", "fig3a", "fig3b", "fig3c", "ranking"]
    assert all(len(data) > 5000 for _, data in pngs)  # real images, not empty placeholders
    assert json.loads(summary.read_text())["n_cells"] == 5 * 40

    svg_report = tmp_path / "svg.html"
    assert _run_without_qt("study", *sessions, "--report", str(svg_report), "--figures", "svg").returncode == 0
    assert len(re.findall(r"src='data:image/svg\+xml;base64,", svg_report.read_text())) == 5

    pdf_report = tmp_path / "pdf.html"
    assert _run_without_qt("study", *sessions, "--report", str(pdf_report), "--figures", "pdf").returncode == 0
    for key in ("fig2d", "fig3a", "fig3b", "fig3c", "ranking"):
        pdf = tmp_path / f"pdf_{key}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF") and f"href='pdf_{key}.pdf'" in pdf_report.read_text()
