"""Make a Jupyter notebook from an example script written in cells (``# %%`` code, ``# %% [markdown]`` text):

    python docs/examples/make_notebook.py docs/examples/import_fit_analyse.py

writes import_fit_analyse.ipynb next to it (nbformat 4, no outputs). Standard library only."""

import json
import pathlib
import sys


def cells_of(text):
    """[(kind, source lines)] of a '# %%' script."""
    cells = []
    for block in text.split("# %%")[1:]:
        header, _, body = block.partition("\n")
        lines = body.strip("\n").splitlines()
        if "[markdown]" in header:
            cells.append(("markdown", [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]))
        else:
            cells.append(("code", lines))
    return cells


def notebook(text):
    cells = []
    for kind, lines in cells_of(text):
        source = [line + "\n" for line in lines[:-1]] + lines[-1:]
        cell = {"cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def main(script):
    script = pathlib.Path(script)
    target = script.with_suffix(".ipynb")
    target.write_text(json.dumps(notebook(script.read_text(encoding="utf-8")), indent=1) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(main(sys.argv[1]))
