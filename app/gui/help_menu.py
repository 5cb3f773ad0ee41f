"""Help menu: Getting started (a short guide in the app), Documentation (the docs folder), About."""

from pathlib import Path

from PyQt6.QtCore import QUrl
from PyQt6.QtGui import QAction, QDesktopServices
from PyQt6.QtWidgets import QMessageBox

ROOT = Path(__file__).resolve().parents[2]

GETTING_STARTED = """<h3>Getting started</h3>
<ol>
<li><b>Connect.</b> The Instruments panel shows the camera, RF generator and laser shutter. On the virtual
microscope they connect by themselves (green lights); with hardware press <i>Connect</i> on each.</li>
<li><b>Set the sweep</b> (Sweep panel): frequency window in MHz, points, on/off pairs per step, sweeps, exposure,
RF power. A field that cannot be used turns red and says why. The <i>Session</i> tab names the sample and the
file.</li>
<li><b>Start</b> (Ctrl+R) and watch the camera, the spin contrast, the live field map and the spectrum of the
pixel under the cursor. Pause (Ctrl+P) and Stop (Ctrl+.) act between frames; every step is already in the
file.</li>
<li><b>Click a dipole</b> in the field map: the cell is analysed and added to the Cells table (distance,
diameter, iron mass, normalised field, each with its uncertainty). <i>Detect all cells</i> does the whole
map.</li>
<li><b>Save / open.</b> Results go into the session file by themselves; <i>File &gt; Open</i> shows a saved
session in review mode.</li>
<li><b>Study.</b> The Study dock compares sessions of several SPION concentrations (histograms, saturation
curve).</li>
</ol>
<p>Help &gt; Documentation opens the full guides (docs/gui.md first).</p>"""


def documentation_url():
    """docs/gui.md in this checkout (else the docs folder, else the README)."""
    for candidate in (ROOT / "docs" / "gui.md", ROOT / "docs", ROOT / "README.md"):
        if candidate.exists():
            return QUrl.fromLocalFile(str(candidate))
    return None


def getting_started_box(parent):
    box = QMessageBox(QMessageBox.Icon.Information, "Getting started with nvscope", GETTING_STARTED,
                      QMessageBox.StandardButton.Ok, parent)
    return box


def open_documentation(parent):
    url = documentation_url()
    if url is None or not QDesktopServices.openUrl(url):
        parent.statusBar().showMessage(f"the documentation is in {ROOT / 'docs'} (no viewer could open it)")


def build_help_menu(window, menu, about_action):
    """Add the Help menu to the menu bar ``menu``; returns (getting started, documentation) actions."""
    help_menu = menu.addMenu("&Help")
    guide = QAction("&Getting started", window)
    guide.setShortcut("F1")
    guide.triggered.connect(lambda: getting_started_box(window).open())
    docs = QAction("&Documentation", window)
    docs.triggered.connect(lambda: open_documentation(window))
    for action in (guide, docs, about_action):
        help_menu.addAction(action)
    return guide, docs
