# %% [markdown]
# # Import, fit, analyse, plot
# Import another setup's ODMR cube, fit it, remove the background, analyse a cell, plot and export, with
# nvscope's public API only. Run from the repository root:
# `PYTHONPATH=. python docs/examples/import_fit_analyse.py` (files go to $NVSCOPE_EXAMPLE_OUT, else a new
# temporary folder), or open import_fit_analyse.ipynb (made from this file by make_notebook.py). The test
# suite runs this script (tests/analysis/test_example_script.py).

# %%
import os
import pathlib
import tempfile

import matplotlib
import numpy as np

from analysis import physics
from analysis.exchange import export_cells, export_field_map, import_cube
from analysis.pipeline import fit_session_file
from analysis.session import read_session
from analysis.session_cells import analyse_session_cells

matplotlib.use("Agg")  # files, not windows (remove in a notebook to see the figure inline)
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

OUT = pathlib.Path(os.environ.get("NVSCOPE_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="nvscope_example_"))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 0. Another setup's files
# A .npy cube (rows, cols, n_freq) of PL and a frequency list in MHz, made here from nvscope's physics: one
# SPION-labelled cell 9 um above the NV layer, 15N doublet lines, 0.2 % noise. Use your own files instead.

# %%
PIXEL_SIZE_M = 1.3e-6
SHAPE = (48, 48)
x_m, y_m = physics.pixel_coordinates_m(*SHAPE, PIXEL_SIZE_M)
cell = physics.LabelledCell(x_m=x_m[24], y_m=y_m[22], z_m=9e-6, diameter_m=12e-6, iron_mass_kg=4e-15,
                            layout="uniform")
b_nv_t = physics.cells_b_nv_map_t([cell], x_m, y_m, physics.nv_axis()) + 50e-6  # the cell + a uniform bias
freq_hz = np.linspace(2.862e9, 2.872e9, 61)
f_minus_hz, _ = physics.transitions_hz(b_nv_t)
cube = np.empty((*SHAPE, freq_hz.size))
for (r, c), centre in np.ndenumerate(f_minus_hz):
    cube[r, c] = physics.odmr_spectrum(freq_hz, centre, 1.0e6, 0.03, pl0=1000.0, isotope="15N")
cube += np.random.default_rng(0).normal(0, 2.0, cube.shape)  # 0.2 % of the PL
np.save(OUT / "cube.npy", cube)
np.savetxt(OUT / "freq_mhz.txt", freq_hz / 1e6, header="frequency (MHz)")

# %% [markdown]
# ## 1. Import
# A new session file holding the cube as its acquisition, with the source's provenance. The frequency units
# are inferred (MHz here) and the rule is printed.

# %%
report = import_cube(OUT / "cube.npy", OUT / "imported.h5", freq=OUT / "freq_mhz.txt",
                     pixel_size_um=PIXEL_SIZE_M * 1e6, overwrite=True)
print("\n".join(report.messages))

# %% [markdown]
# ## 2. Fit and background
# Every pixel (15N doublet, f- branch) -> B_NV map -> robust polynomial background removed.

# %%
summary = fit_session_file(report.path, model="15N")
print(f"fit: {summary.converged_fraction:.1%} converged, residual noise {summary.residual_noise_t * 1e9:.0f} nT")

# %% [markdown]
# ## 3. Cells
# On the background-subtracted map (the committed CNN if present, else physics alone).

# %%
n_cells = analyse_session_cells(report.path)
session = read_session(report.path)
table = session.cells.records()
print(f"{n_cells} cell(s); true: z {cell.z_m * 1e6:.1f} um, iron {cell.iron_mass_kg * 1e15:.2f} pg")
for row in table:
    print(f"  row {row['row_px']:.1f} col {row['col_px']:.1f}: z {row['z_m'] * 1e6:.1f} um, "
          f"iron {row['iron_mass_g'] * 1e12:.2f} pg")

# %% [markdown]
# ## 4. Plot
# The field map with the cells, and one pixel's spectrum with its fitted centre.

# %%
residual_t = session.field_map["b_nv_residual_t"]
fig, (ax_map, ax_spec) = plt.subplots(1, 2, figsize=(9, 4))
half = 0.5 * PIXEL_SIZE_M * 1e6  # pixel (0, 0) is centred at 0 (physics.pixel_coordinates_m)
extent_um = [-half, SHAPE[1] * 2 * half - half, SHAPE[0] * 2 * half - half, -half]
image = ax_map.imshow(residual_t * 1e6, cmap="RdBu_r", extent=extent_um)
fig.colorbar(image, ax=ax_map, label="B_NV minus background (uT)")
for row in table:
    ax_map.plot(row["col_px"] * PIXEL_SIZE_M * 1e6, row["row_px"] * PIXEL_SIZE_M * 1e6, "k+", ms=12)
ax_map.set(xlabel="x (um)", ylabel="y (um)", title="field map and cells")
ax_spec.plot(session.freq_hz / 1e9, session.spin_contrast()[:, 22, 24], ".")
ax_spec.axvline(session.fit["center_hz"][22, 24] / 1e9, color="k", lw=0.8)
ax_spec.set(xlabel="frequency (GHz)", ylabel="PL (imported values)", title="pixel (22, 24)")
fig.tight_layout()
fig.savefig(OUT / "import_fit_analyse.png", dpi=100)

# %% [markdown]
# ## 5. Export
# Float32 TIFF with its pixel size (Fiji, napari) and the cells as CSV.

# %%
written = export_field_map(report.path, OUT / "field_map.tif") + export_cells(report.path, OUT / "cells.csv")
print("wrote", ", ".join(str(p) for p in [OUT / "import_fit_analyse.png", *written]))
