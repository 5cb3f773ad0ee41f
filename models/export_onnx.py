"""Export a trained checkpoint to ONNX, check parity, evaluate on the held-out set and write the model card.

    python -m models.export_onnx checkpoints/best.pt --out models/nvscope_cell_cnn.onnx

Writes the ONNX file and ``<stem>.card.json`` beside it. Parity: torch and onnxruntime on the same snippets
must agree to 1e-4 in the standardised outputs (else nothing is written). The held-out evaluation runs the
ONNX file through onnxruntime (the app's inference path) on ``HELD_OUT_COUNT`` snippets of seed
``HELD_OUT_SEED`` at ``HELD_OUT_NOISE_T``, a seed no training chunk uses.
"""

import argparse
import datetime
import hashlib
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from models.evaluate import HELD_OUT_COUNT, HELD_OUT_NOISE_T, HELD_OUT_SEED, TARGETS, accuracy_report, format_report
from models.network import OUTPUT_NAMES, OUTPUT_STANDARDISATION, ExportedCellNet, network_of
from models.train import load_checkpoint
from models.training_data import DEFAULT_RECIPE, REFERENCE_INDEX, SNIPPET_SIZE, TRAINING_RECIPE, generate_snippets

MODEL_NAME = "nvscope_cell_cnn"
MODEL_VERSION = "1.1.0"
INPUT_NAME = "snippet_t"
STANDARDISED_NAME = "standardised"
PARITY_SEED = 997
PARITY_TOLERANCE = 1e-4
OPSET = 17

OUTPUT_DOC = {
    "x_px": ("px", "cell centre column minus the reference column 16 (sub-pixel)"),
    "y_px": ("px", "cell centre row minus the reference row 16 (sub-pixel)"),
    "z_m": ("m", "height of the cell centre above the NV layer"),
    "diameter_m": ("m", "cell diameter (the weakest output: see metrics diameter_by_z_over_d)"),
    "log10_iron_mass_kg": ("log10(kg)", "log10 of the cell's iron mass in kg; iron_mass_kg = 10 ** value"),
    "background_t": ("T", "C: mean residual background left in the snippet"),
}


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_network(checkpoint):
    ckpt = load_checkpoint(checkpoint)
    args = ckpt["args"]
    net = network_of(args)
    net.load_state_dict(ckpt["model"])
    return net.eval(), ckpt


def export(net, path):
    example = torch.zeros(4, 1, SNIPPET_SIZE, SNIPPET_SIZE)
    names = [*OUTPUT_NAMES, STANDARDISED_NAME]
    # the TorchScript exporter: the dynamo one needs onnxscript, which is not a dependency of the train extra
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            ExportedCellNet(net).eval(), (example,), str(path), dynamo=False, opset_version=OPSET,
            input_names=[INPUT_NAME], output_names=names,
            dynamic_axes={INPUT_NAME: {0: "n"}, **{k: {0: "n"} for k in names}},
        )


def onnx_session(path, threads=2):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def onnx_predict(session, snippets, batch=256):
    outs = []
    for i in range(0, len(snippets), batch):
        outs.append(session.run(None, {INPUT_NAME: snippets[i : i + batch, None].astype(np.float32)}))
    return {name: np.concatenate([o[k] for o in outs]) for k, name in enumerate([*OUTPUT_NAMES, STANDARDISED_NAME])}


def parity_check(net, session):
    """Max |torch - onnxruntime| of the standardised outputs on simulated snippets at every noise level."""
    snippets, _ = generate_snippets(512, PARITY_SEED, DEFAULT_RECIPE)
    with torch.no_grad():
        ref = net(torch.from_numpy(snippets[:, None])).numpy()
    got = onnx_predict(session, snippets)[STANDARDISED_NAME]
    return float(np.max(np.abs(ref - got)))


def input_normalisation(train_args):
    """The card's words for what the graph does to the raw snippet."""
    text = ("in the graph: s = max(snippet) - min(snippet) + 1e-12 T; the trunk sees snippet / s and two "
            "coordinate channels, the heads also get log10(s / 1 uT)")
    if train_args.get("centre_view", False):
        text += ("; centre view: s_c = the same over the central 12 x 12 pixels (indices 10-21), the trunk also "
                 "sees clip((snippet - mean of the central pixels) / s_c, -2, 2), the heads also get log10(s_c / s)")
    return text + ". Feed raw tesla."


def build_card(onnx_path, ckpt, parity, report, eval_s, history=None):
    recipe = TRAINING_RECIPE
    train_args = ckpt["args"]
    return {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "onnx_file": onnx_path.name,
        "onnx_sha256": sha256_of(onnx_path),
        "onnx_opset": OPSET,
        "pixel_size_m": recipe.pixel_size_m,
        "nv_axis": {"polar_deg": recipe.nv_polar_deg, "azimuth_deg": recipe.nv_azimuth_deg,
                    "note": "azimuth from +x (columns) towards +y (rows); moments along the NV axis"},
        "input": {
            "name": INPUT_NAME, "shape": ["N", 1, SNIPPET_SIZE, SNIPPET_SIZE], "dtype": "float32", "units": "T",
            "description": f"background-subtracted B_NV, snippet = b_nv_map[r0-{REFERENCE_INDEX}:r0+"
            f"{SNIPPET_SIZE - REFERENCE_INDEX}, c0-{REFERENCE_INDEX}:c0+{SNIPPET_SIZE - REFERENCE_INDEX}]; "
            f"reference pixel index {REFERENCE_INDEX} on both axes; rows = y, columns = x",
        },
        "input_normalisation": input_normalisation(train_args),
        "outputs": [{"name": k, "units": OUTPUT_DOC[k][0], "shape": ["N"], "description": OUTPUT_DOC[k][1]}
                    for k in OUTPUT_NAMES]
        + [{"name": STANDARDISED_NAME, "units": "1", "shape": ["N", 6],
            "description": "standardised head outputs t (order x, y, z, d, mass, C), what the parity check "
            "compares; value = t * std + mean, then z, d: um -> m; mass: + log10(s / 1 uT); C: * s"}],
        "output_standardisation": {k: {"mean": m, "std": s} for k, (m, s) in OUTPUT_STANDARDISATION.items()},
        "training_ranges": {
            "x_px": [-recipe.max_offset_px, recipe.max_offset_px],
            "y_px": [-recipe.max_offset_px, recipe.max_offset_px],
            "z_m": list(recipe.z_range_m), "z_constraint": "z >= diameter / 2",
            "diameter_m": list(recipe.diameter_range_m),
            "iron_mass_kg": list(recipe.iron_mass_range_kg),
            "n_clusters": list(recipe.cluster_count_range),
            "noise_sigma_t": list(recipe.noise_sigma_range_t),
            "min_peak_snr": recipe.min_peak_snr,
        },
        "data_recipe": recipe.describe(),
        "training": {
            "seed": int(train_args["seed"]), "steps": int(ckpt["step"]),
            "minutes": round(float(ckpt["elapsed_s"]) / 60.0, 1),
            "batch_size": int(train_args["batch_size"]),
            "snippets_seen": int(ckpt["step"]) * int(train_args["batch_size"]),
            "learning_rate": float(train_args["lr"]), "widths": [int(w) for w in train_args["widths"]],
            "hidden": int(train_args["hidden"]), "centre_view": bool(train_args.get("centre_view", False)),
            "loss": "weighted smooth-L1 (beta 0.05) on the standardised outputs",
            **({"history": history} if history else {}),
            "torch": torch.__version__, "machine": f"{platform.machine()} {platform.processor()}".strip(),
        },
        "parity": {"max_abs_diff_standardised": parity, "tolerance": PARITY_TOLERANCE, "seed": PARITY_SEED},
        "held_out": {"seed": HELD_OUT_SEED, "count": HELD_OUT_COUNT, "noise_sigma_t": HELD_OUT_NOISE_T,
                     "parameters": "drawn from the training recipe with peak SNR >= "
                     f"{DEFAULT_RECIPE.min_peak_snr} (the cells one analyses; inside the training ranges)",
                     "targets": TARGETS, "evaluated_with": "onnxruntime",
                     "evaluation_seconds": round(eval_s, 1), **report},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--out", type=Path, default=Path("models") / f"{MODEL_NAME}.onnx")
    p.add_argument("--history", default=None,
                   help="how the checkpoint was trained when it took more than one run (resumed with other "
                        "settings), for the card; the card's other training fields describe the last run")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    net, ckpt = load_network(args.checkpoint)
    tmp = args.out.with_name(args.out.name + ".tmp")
    export(net, tmp)
    session = onnx_session(tmp)
    parity = parity_check(net, session)
    print(f"parity torch vs onnxruntime: max |diff| of standardised outputs = {parity:.2e}")
    if not parity < PARITY_TOLERANCE:
        tmp.unlink()
        sys.exit(f"parity check failed: {parity:.2e} >= {PARITY_TOLERANCE:.0e}; the ONNX file was not written.")
    tmp.replace(args.out)
    t0 = time.time()
    snippets, truth = generate_snippets(HELD_OUT_COUNT, HELD_OUT_SEED, DEFAULT_RECIPE, HELD_OUT_NOISE_T)
    pred = onnx_predict(onnx_session(args.out), snippets)
    report = accuracy_report({k: pred[k].astype(np.float64) for k in OUTPUT_NAMES}, truth)
    print(format_report(report))
    card = build_card(args.out, ckpt, parity, report, time.time() - t0, args.history)
    card_path = args.out.with_name(args.out.stem + ".card.json")
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {args.out} (sha256 {card['onnx_sha256'][:12]}...) and {card_path}")


if __name__ == "__main__":
    main()
