"""Train the cell CNN on simulated snippets:  python -m models.train --out checkpoints/ --minutes 70 --seed 1

Data: a pool of rendered cell geometries (``training_data.render_geometry``, chunks of ``--chunk``), refreshed
one chunk every ``--refresh-every`` steps, so the network keeps seeing new geometry; every batch draws fresh
iron masses, backgrounds and noise (``compose_snippets``) from a generator seeded by (seed, step), with the
``TRAINING_RECIPE`` (cells down to peak SNR 1.5); validation uses the ``DEFAULT_RECIPE`` (peak SNR >= 3), as
the held-out set does.
Schedule: AdamW, linear warm-up then a cosine decay over the time budget (``--minutes``), so a run ends with
a small learning rate whenever its budget ends. Checkpoints (``last.pt`` every few minutes and at the end,
``best.pt`` on the best validation score) hold the weights, optimiser, step and elapsed time; a run with the
same ``--out`` resumes from ``last.pt``. Uses CUDA when present.
"""

import argparse
import json
import math
import time
from pathlib import Path, PosixPath

import numpy as np
import torch

from models.evaluate import HELD_OUT_NOISE_T, HELD_OUT_SEED, accuracy_report
from models.network import OUTPUT_NAMES, ExportedCellNet, network_of, standardise_targets
from models.training_data import DEFAULT_RECIPE, TRAINING_RECIPE, compose_snippets, generate_snippets, render_geometry

VALIDATION_SEED = 998
VALIDATION_COUNT = 1024
LOSS_WEIGHTS = {"x_px": 1.0, "y_px": 1.0, "z_m": 1.5, "diameter_m": 0.5, "log10_iron_mass_kg": 2.0,
                "background_t": 0.3}


def chunk_seed(seed, chunk_id):
    """Seed of a geometry chunk; kept far from the validation and held-out seeds."""
    s = 1_000_003 * (seed + 1) + chunk_id
    assert s not in (VALIDATION_SEED, HELD_OUT_SEED)
    return s


def amplitude_t(snippets):
    """Peak-to-peak amplitude as the network computes it (CellNet.amplitude_t)."""
    return snippets.max(axis=(1, 2)) - snippets.min(axis=(1, 2)) + 1e-12


class GeometryPool:
    """``n_chunks`` chunks of rendered geometry; ``refresh(k)`` replaces the oldest with chunk k."""

    def __init__(self, seed, chunk, n_chunks, first_chunk=0):
        self.seed, self.chunk, self.n_chunks = seed, chunk, n_chunks
        self.data = None
        for k in range(first_chunk, first_chunk + n_chunks):
            self.refresh(k)

    def refresh(self, chunk_id):
        g = render_geometry(self.chunk, chunk_seed(self.seed, chunk_id), TRAINING_RECIPE)
        slot = chunk_id % self.n_chunks
        if self.data is None:
            self.data = {k: np.empty((self.chunk * self.n_chunks, *v.shape[1:]), v.dtype) for k, v in g.items()}
        for k, v in g.items():
            self.data[k][slot * self.chunk : (slot + 1) * self.chunk] = v

    def batch(self, rng, size):
        idx = rng.integers(0, self.chunk * self.n_chunks, size)
        return compose_snippets(self.data, rng, TRAINING_RECIPE, index=idx)


def predict_physical(net, snippets, device, batch=1024):
    """Physical outputs (dict of numpy arrays) of the network on (N, 32, 32) snippets in tesla."""
    exported = ExportedCellNet(net).eval()
    out = {k: [] for k in OUTPUT_NAMES}
    with torch.no_grad():
        for i in range(0, len(snippets), batch):
            x = torch.from_numpy(snippets[i : i + batch, None]).to(device)
            for k, v in zip(OUTPUT_NAMES, exported(x)[: len(OUTPUT_NAMES)], strict=True):
                out[k].append(v.cpu().numpy().astype(np.float64))
    return {k: np.concatenate(v) for k, v in out.items()}


def validation_score(report):
    a = report["all"]
    return (a["iron_mass_median_abs_rel_error"] / 0.10 + a["z_median_abs_error_um"] / 1.0
            + a["position_median_error_px"] / 0.3)


def learning_rate(base_lr, step, elapsed_s, budget_s, warmup_steps=300):
    warm = min(1.0, (step + 1) / warmup_steps)
    frac = min(1.0, elapsed_s / budget_s)
    return base_lr * warm * (0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * frac)))


def plain_args(args):
    """argparse values as str/int/float/list only, so ``torch.load(weights_only=True)`` reads them back."""
    return {k: str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v for k, v in vars(args).items()}


def load_checkpoint(path, device="cpu"):
    """A checkpoint dict, loaded with ``weights_only=True`` (no arbitrary unpickling).

    Paths are allowed as the only extra type: checkpoints of the first training run stored ``--out`` as one.
    """
    with torch.serialization.safe_globals([PosixPath]):
        return torch.load(path, map_location=device, weights_only=True)


def save_checkpoint(path, net, opt, step, elapsed_s, best_score, args):
    tmp = path.with_suffix(".tmp")
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "elapsed_s": elapsed_s,
                "best_score": best_score, "args": plain_args(args)}, tmp)
    tmp.replace(path)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("checkpoints"))
    p.add_argument("--minutes", type=float, default=70.0, help="training time budget (wall clock)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--widths", type=int, nargs=3, default=(24, 32, 48))
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--centre-view", action="store_true",
                   help="add the centre view (snippet scaled by its central 12 x 12 peak-to-peak, clipped) as input")
    p.add_argument("--chunk", type=int, default=8192)
    p.add_argument("--pool-chunks", type=int, default=16)
    p.add_argument("--refresh-every", type=int, default=100)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--checkpoint-minutes", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads; on 2 cores shared with other jobs 1 thread trained 1.6-3x faster than 2")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (for quick checks)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.out.mkdir(parents=True, exist_ok=True)
    # channels-last runs the small convolutions about 1.3x faster on CPU (oneDNN)
    net = network_of(plain_args(args)).to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    step, elapsed_s, best_score = 0, 0.0, float("inf")
    last = args.out / "last.pt"
    if last.exists():
        ckpt = load_checkpoint(last, device)
        net.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, elapsed_s, best_score = ckpt["step"], ckpt["elapsed_s"], ckpt["best_score"]
        print(f"resumed from {last} at step {step} ({elapsed_s / 60:.1f} min done)", flush=True)
    (args.out / "args.json").write_text(json.dumps(plain_args(args), indent=1))

    t0 = time.time()
    first_chunk = step // args.refresh_every
    pool = GeometryPool(args.seed, args.chunk, args.pool_chunks, first_chunk)
    next_chunk = first_chunk + args.pool_chunks
    val_x, val_truth = generate_snippets(VALIDATION_COUNT, VALIDATION_SEED, DEFAULT_RECIPE, HELD_OUT_NOISE_T)
    print(f"pool of {args.chunk * args.pool_chunks} geometries ready in {time.time() - t0:.0f} s; "
          f"device {device}; {sum(p.numel() for p in net.parameters())} parameters", flush=True)
    weights = torch.tensor([LOSS_WEIGHTS[k] for k in OUTPUT_NAMES], device=device)
    budget_s = args.minutes * 60.0
    start, last_log, last_ckpt = time.time() - elapsed_s, time.time(), time.time()
    running, samples_since = 0.0, 0
    net.train()
    while elapsed_s < budget_s and (args.max_steps is None or step < args.max_steps):
        if step % args.refresh_every == 0 and step > 0:
            pool.refresh(next_chunk)
            next_chunk += 1
        rng = np.random.default_rng([args.seed, step, 7])
        snippets, truth = pool.batch(rng, args.batch_size)
        targets = torch.from_numpy(standardise_targets(truth, amplitude_t(snippets))).to(device)
        x = torch.from_numpy(snippets[:, None]).to(device, memory_format=torch.channels_last)
        for group in opt.param_groups:
            group["lr"] = learning_rate(args.lr, step, elapsed_s, budget_s)
        loss_each = torch.nn.functional.smooth_l1_loss(net(x), targets, beta=0.05, reduction="none").mean(0)
        loss = (loss_each * weights).sum() / weights.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        step += 1
        elapsed_s = time.time() - start
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        samples_since += args.batch_size
        if step % args.log_every == 0:
            rate = samples_since / (time.time() - last_log)
            last_log, samples_since = time.time(), 0
            print(f"step {step:6d} | {elapsed_s / 60:5.1f}/{args.minutes:.0f} min | {rate:5.0f} snippets/s | "
                  f"loss {running:.4f} | lr {opt.param_groups[0]['lr']:.2e}", flush=True)
        if step % args.val_every == 0 or elapsed_s >= budget_s:
            net.eval()
            report = accuracy_report(predict_physical(net, val_x, device), val_truth)
            net.train()
            a, score = report["all"], validation_score(report)
            print(f"  val: mass {100 * a['iron_mass_median_abs_rel_error']:.1f} % | z {a['z_median_abs_error_um']:.2f}"
                  f" um | pos {a['position_median_error_px']:.3f} px | d {a['diameter_median_abs_error_um']:.2f} um"
                  f" | score {score:.2f}{' (best)' if score < best_score else ''}", flush=True)
            if score < best_score:
                best_score = score
                save_checkpoint(args.out / "best.pt", net, opt, step, elapsed_s, best_score, args)
        if time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint(last, net, opt, step, elapsed_s, best_score, args)
            last_ckpt = time.time()
    save_checkpoint(last, net, opt, step, elapsed_s, best_score, args)
    print(f"done: {step} steps in {elapsed_s / 60:.1f} min; best validation score {best_score:.2f}", flush=True)


if __name__ == "__main__":
    main()
