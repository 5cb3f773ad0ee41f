"""The cell CNN at inference time: onnxruntime only (the app never imports torch).

``CellCNN`` loads the committed ONNX model (``models/nvscope_cell_cnn.onnx``) and its model card, checks the
card's SHA-256 against the file, and turns 32 x 32 snippets of background-subtracted B_NV (tesla) into the
cell's position, height, diameter, iron mass and residual background. Snippet convention:
``b_nv_map[r0-16:r0+16, c0-16:c0+16]`` around an integer pixel (r0, c0); the outputs ``x_px``, ``y_px`` are the
cell centre minus that reference pixel (columns, rows), so the centre is at column c0 + x_px, row r0 + y_px.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import onnxruntime as ort

SNIPPET_SIZE = 32
MODEL_FILE = "nvscope_cell_cnn.onnx"
OUTPUT_NAMES = ("x_px", "y_px", "z_m", "diameter_m", "log10_iron_mass_kg", "background_t")
PIXEL_SIZE_RTOL = 1e-3


class CellModelError(ValueError):
    """The model file, its card, or the data given to it do not fit together."""


def default_model_path():
    """The ONNX model committed in the ``models`` package."""
    return Path(str(resources.files("models").joinpath(MODEL_FILE)))


def card_path_for(model_path):
    """``name.onnx`` -> ``name.card.json`` beside it."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".card.json")


def file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class CellCNN:
    """onnxruntime session of the cell CNN plus its model card.

    ``predict(snippets)`` takes (N, 32, 32) or (32, 32) arrays in tesla and returns a dict of (N,) float64
    arrays: ``x_px``, ``y_px`` (px from the reference pixel 16), ``z_m``, ``diameter_m``,
    ``log10_iron_mass_kg``, ``iron_mass_kg`` and ``background_t`` (T).
    """

    def __init__(self, model_path=None, intra_op_threads=2):
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        if not self.model_path.is_file():
            raise CellModelError(f"CNN model file {self.model_path} does not exist; give the path of an .onnx file "
                                 "exported by `python -m models.export_onnx`.")
        card_path = card_path_for(self.model_path)
        if not card_path.is_file():
            raise CellModelError(f"model card {card_path} is missing beside {self.model_path.name}; the card is "
                                 "written by `python -m models.export_onnx` with the ONNX file.")
        self.card = json.loads(card_path.read_text())
        self.sha256 = file_sha256(self.model_path)
        if self.card.get("onnx_sha256") != self.sha256:
            raise CellModelError(
                f"SHA-256 of {self.model_path.name} is {self.sha256[:16]}..., but its card {card_path.name} says "
                f"{str(self.card.get('onnx_sha256'))[:16]}...: the model and the card do not belong together; "
                "re-export both with `python -m models.export_onnx`."
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = intra_op_threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(self.model_path), opts, providers=["CPUExecutionProvider"])
        self._input_name = self.card["input"]["name"]

    @property
    def pixel_size_m(self):
        """Pixel size (m) at the sample that the network was trained for."""
        return float(self.card["pixel_size_m"])

    def identity(self):
        """What a session file stores with every CNN result: name, version, file name and SHA-256."""
        return {"name": self.card["name"], "version": self.card["version"], "file": self.model_path.name,
                "sha256": self.sha256}

    def check_pixel_size(self, pixel_size_m):
        """Raise ``CellModelError`` unless ``pixel_size_m`` matches the card (relative tolerance 1e-3)."""
        if abs(pixel_size_m - self.pixel_size_m) > PIXEL_SIZE_RTOL * self.pixel_size_m:
            raise CellModelError(
                f"the field map's pixel size {pixel_size_m * 1e6:.4g} um differs from the "
                f"{self.pixel_size_m * 1e6:.4g} um the CNN {self.card['name']} {self.card['version']} was trained "
                "for (model card pixel_size_m): resample the map to the trained pixel size or retrain the model "
                "for this pixel size."
            )

    def predict(self, snippets_t, pixel_size_m=None, batch_size=256):
        """Cell parameters for each snippet (tesla, (N, 32, 32) or (32, 32)); see the class docstring."""
        if pixel_size_m is not None:
            self.check_pixel_size(pixel_size_m)
        x = np.asarray(snippets_t, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (SNIPPET_SIZE, SNIPPET_SIZE):
            raise CellModelError(f"snippets have shape {np.shape(snippets_t)}; the CNN takes (N, {SNIPPET_SIZE}, "
                                 f"{SNIPPET_SIZE}) or ({SNIPPET_SIZE}, {SNIPPET_SIZE}) arrays of B_NV in tesla.")
        if not np.all(np.isfinite(x)):
            raise CellModelError(f"{int(np.sum(~np.isfinite(x)))} snippet pixels are not finite (NaN or inf): "
                                 "fill or mask them before calling the CNN.")
        chunks = {k: [] for k in OUTPUT_NAMES}
        for i in range(0, len(x), batch_size):
            outs = self._session.run(list(OUTPUT_NAMES), {self._input_name: x[i : i + batch_size, None]})
            for k, v in zip(OUTPUT_NAMES, outs, strict=True):
                chunks[k].append(v)
        result = {k: np.concatenate(v).astype(np.float64) if v else np.zeros(0) for k, v in chunks.items()}
        result["iron_mass_kg"] = 10.0 ** result["log10_iron_mass_kg"]
        return result
