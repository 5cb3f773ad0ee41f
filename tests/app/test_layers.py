"""The layers hold: Qt (PyQt6, pyqtgraph, matplotlib's Qt backends) is imported only under app/gui/;
app/core/ and app/cli/ never import app/gui/ (except the CLI's ``gui`` sub-command, which starts it); and
``nvscope --help`` loads neither Qt nor numba nor onnxruntime."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT = ("PyQt6", "pyqtgraph", "matplotlib.backends.backend_qtagg", "matplotlib.backends.backend_qt")


def _imports(path):
    """Every module name a file imports (at any depth, lazily or not)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _is(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_only_app_gui_imports_qt():
    files = [p for folder in ("app", "analysis", "instruments") for p in (ROOT / folder).rglob("*.py")
             if "gui" not in p.relative_to(ROOT).parts[:2]]
    assert len(files) > 50  # the scan did find the sources
    offenders = {str(p.relative_to(ROOT)): m for p in files for m in _imports(p) if _is(m, QT)}
    assert offenders == {}


def test_core_never_imports_the_gui_and_the_cli_only_to_start_it():
    offenders = {}
    for folder in ("core", "cli"):
        for path in (ROOT / "app" / folder).rglob("*.py"):
            gui = [m for m in _imports(path) if _is(m, ("app.gui",))]
            if gui and not (path.name == "main.py" and gui == ["app.gui.gui_main"]):
                offenders[str(path.relative_to(ROOT))] = gui
    assert offenders == {}


def test_help_loads_no_qt_numba_or_onnxruntime():
    code = ("import sys\nfrom app.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('PyQt6', 'pyqtgraph', 'numba', 'onnxruntime', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
