"""Made-up source files for the import/export tests: a small Lorentzian ODMR cube in every format."""

import h5py
import numpy as np
import scipy.io
import tifffile

FREQ_HZ = np.linspace(2.84e9, 2.90e9, 41)
SHAPE = (12, 14)


def lorentzian_cube(seed=0):
    """(rows, cols, n) PL-like spectra, baseline 1000 counts, 3 % dip at a line moving across the frame."""
    rows, cols = SHAPE
    f0 = 2.870e9 + 5e5 * (np.arange(cols)[None, :] - np.arange(rows)[:, None] / 2)
    half = 4e6
    dip = 0.03 / (1 + ((FREQ_HZ[None, None, :] - f0[:, :, None]) / half) ** 2)
    noise = np.random.default_rng(seed).normal(0, 1e-3, (rows, cols, FREQ_HZ.size))
    return 1000.0 * (1 - dip + noise)


def write_mat73(path, variables):
    """A MATLAB v7.3 file as MATLAB writes it: 512-byte user block with the MAT header, column-major arrays."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            dataset = f.create_dataset(name, data=np.asarray(value).T)  # MATLAB: axes reversed on disk
            dataset.attrs["MATLAB_class"] = np.bytes_("double")
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Dec  3 12:00:00 2026 HDF5 schema 1.00 ."
    header = header.ljust(116) + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as f:
        f.write(header)


def write_sources(folder, cube=None):
    """Every cube format: name -> path, plus the frequency files."""
    cube = lorentzian_cube() if cube is None else cube
    paths = {"npy": folder / "cube.npy", "freq_npy": folder / "freq.npy", "freq_txt": folder / "freq_mhz.txt",
             "freq_csv": folder / "freq.csv", "tiff": folder / "cube.tif", "mat5": folder / "odmr.mat",
             "mat73": folder / "odmr73.mat"}
    np.save(paths["npy"], cube)
    np.save(paths["freq_npy"], FREQ_HZ)
    paths["freq_txt"].write_text("# frequency (MHz)\n" + "\n".join(f"{f / 1e6:.6f}" for f in FREQ_HZ))
    paths["freq_csv"].write_text("freq_ghz\n" + "\n".join(f"{f / 1e9:.9f}" for f in FREQ_HZ))
    tifffile.imwrite(paths["tiff"], np.moveaxis(cube, -1, 0).astype(np.float32),
                     metadata={"freq_hz": FREQ_HZ.tolist()})
    scipy.io.savemat(paths["mat5"], {"M": cube, "Ftot": FREQ_HZ / 1e9, "other": np.arange(3.0)})
    write_mat73(paths["mat73"], {"M": cube, "Ftot": FREQ_HZ[None, :] / 1e9})
    return paths
