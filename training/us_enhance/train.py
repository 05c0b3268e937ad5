"""Trains, exports and evaluates the two ultrasound enhancement models of issue 22; reproducible from a clean clone:

    /usr/bin/python3 training/us_enhance/train.py            # ~25 min on 2 cores; writes models/ and training/us_enhance/out/

Steps (all seeded; frames from data.py, training split only until the held-out evaluation):
1. Parameters of the classical filters and of OBNLM (h) tuned on training frames (tune.py -> out/tuning.json).
2. Denoiser (nets.DespeckleNetV(16, 6, 2)) trained on 96 x 96 patches of the training frames and of their 2 x 2-binned
   copies (the scale of a live view half the frame's width) with two kinds of pairs:
   (a) reference distillation, as Cammarasana et al. 2022 did with tuned WNNM: the real frame -> OBNLM(real frame);
   (b) synthetic speckle (speckle.py, sigma drawn in [1, 3]): speckled clean frame -> clean frame.
   Loss: mean squared error, (a) a quarter and (b) three quarters of each batch; Adam, 4000 steps, batch 16, learning rate 2e-3 with cosine decay.
3. Super-resolution x2 (nets.SRNet2x) trained on the training frames degraded by 2 x 2 area averaging (OpenCV
   INTER_AREA): low-resolution 40 x 40 patch -> its 80 x 80 original; MSE, Adam, 3000 steps, batch 16, 2e-3 cosine.
4. Export to ONNX (onnx_export.py: opset 17, dynamic H and W, onnx.checker, parity vectors for the runtime's check).
5. Held-out evaluation (evaluate.py) -> models/*.eval.json, model cards and models/manifest.json.
"""
import argparse
import json
import math
import os
import sys
import time

import cv2
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
from nets import DespeckleNetV, SRNet2x  # noqa: E402
from obnlm import obnlm  # noqa: E402
from speckle import add_speckle, clean_of  # noqa: E402

SEED = 22
PATCH = 96
SR_LR_PATCH = 40
DISTILL_SHARE = 0.25  # share of each batch that distils the reference (a); the rest is synthetic speckle (b)


def set_determinism(threads: int) -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def training_frames() -> list:
    """The frames training uses: every SpinePhantomFreehand and training MSK frame; every 10th fCal and every 8th
    N-wire frame (those recordings are nearly black water with a few wires: a few frames teach 'leave black black')."""
    out = []
    counters = {}
    for s, i, f in data.frames("train"):
        key = s.split("/")[0]
        k = counters.get(key, 0)
        counters[key] = k + 1
        if key.startswith("fCal") and k % 10:
            continue
        if key.startswith("Nwire") and k % 8:
            continue
        out.append((s, i, f))
    return out


def with_display_copies(frames: list) -> list:
    """The frames plus their 2 x 2 area-binned copies (what a live view of half the width shows), so that both
    models are trained at the scale the live path runs them at; returns [(source, index, uint8 (H, W))]."""
    out = list(frames)
    for s, i, f in frames:
        b = cv2.resize(f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2].astype(np.float32), (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA)
        out.append((s + " (binned 2x2)", i, np.clip(np.rint(b), 0, 255).astype(np.uint8)))
    return out


def sample_patch_origin(frame: np.ndarray, size: int, rng: np.random.Generator) -> tuple:
    """A patch origin (y, x), even, preferring patches with image content (8 tries for mean > 8 grey levels)."""
    H, W = frame.shape
    for _ in range(8):
        y = int(rng.integers(0, (H - size) // 2 + 1)) * 2
        x = int(rng.integers(0, (W - size) // 2 + 1)) * 2
        if frame[y : y + size, x : x + size].mean() > 8:
            break
    return y, x


def cosine_lr(opt: torch.optim.Optimizer, step: int, steps: int, lr0: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr0 * 0.5 * (1 + math.cos(math.pi * step / steps))


def train_denoiser(frames: list, h: float, steps: int, log, net: torch.nn.Module = None, distill_share: float = DISTILL_SHARE, refs: list = None, clean_is_reference: bool = False, lr: float = 2e-3) -> torch.nn.Module:
    rng = np.random.default_rng(SEED)
    t0 = time.time()
    raw = [f.astype(np.float32) for _, _, f in frames]
    ref = refs if refs is not None else [obnlm(f, h=h) for f in raw]
    clean = ref if clean_is_reference else [clean_of(f) for f in raw]
    log(f"denoiser: OBNLM targets of {len(raw)} training frames in {time.time() - t0:.0f} s")
    net = net if net is not None else DespeckleNetV(16, 6, 2)
    batch = 16

    def make_batch() -> tuple:
        xs, ys = [], []
        for b in range(batch):
            k = int(rng.integers(0, len(raw)))
            y, x = sample_patch_origin(raw[k], PATCH, rng)
            if b < round(batch * distill_share):  # (a) distillation of the reference on a real frame
                xs.append(raw[k][y : y + PATCH, x : x + PATCH])
                ys.append(ref[k][y : y + PATCH, x : x + PATCH])
            else:  # (b) synthetic speckle on the clean frame
                c = clean[k][y : y + PATCH, x : x + PATCH]
                xs.append(add_speckle(c, float(rng.uniform(1.0, 3.0)), rng))
                ys.append(c)
        return xs, ys

    return fit(net, steps, lr, make_batch, lambda step, loss: log(f"denoiser step {step} loss {loss:.6f} ({time.time() - t0:.0f} s)"))


def fit(net: torch.nn.Module, steps: int, lr: float, make_batch, report) -> torch.nn.Module:
    """Adam with cosine-decayed learning rate on the mean squared error; make_batch() -> (inputs, targets), lists of
    (h, w) arrays of grey levels 0..255; report(step, loss) every 250 steps and at the last. Returns the network in
    evaluation mode."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for step in range(steps):
        cosine_lr(opt, step, steps, lr)
        xs, ys = make_batch()
        xt = torch.from_numpy(np.stack(xs)[:, None] / 255.0).float()
        yt = torch.from_numpy(np.stack(ys)[:, None] / 255.0).float()
        loss = torch.mean((net(xt) - yt) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0 or step == steps - 1:
            report(step, loss.item())
    return net.eval()


def degrade(frame: np.ndarray) -> np.ndarray:
    """x2 degradation: 2 x 2 area average (OpenCV INTER_AREA) of a frame cropped to even size; float32 0..255."""
    H, W = frame.shape
    f = frame[: H // 2 * 2, : W // 2 * 2].astype(np.float32)
    return cv2.resize(f, (W // 2, H // 2), interpolation=cv2.INTER_AREA)


def train_sr(frames: list, steps: int, log, net: torch.nn.Module = None) -> torch.nn.Module:
    rng = np.random.default_rng(SEED + 1)
    t0 = time.time()
    hr = [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2].astype(np.float32) for _, _, f in frames]
    lr = [degrade(f) for f in hr]
    net = net if net is not None else SRNet2x()
    batch = 16

    def make_batch() -> tuple:
        xs, ys = [], []
        for _ in range(batch):
            k = int(rng.integers(0, len(hr)))
            y, x = sample_patch_origin(hr[k], 2 * SR_LR_PATCH, rng)
            xs.append(lr[k][y // 2 : y // 2 + SR_LR_PATCH, x // 2 : x // 2 + SR_LR_PATCH])
            ys.append(hr[k][y : y + 2 * SR_LR_PATCH, x : x + 2 * SR_LR_PATCH])
        return xs, ys

    return fit(net, steps, 2e-3, make_batch, lambda step, loss: log(f"sr2 step {step} loss {loss:.6f} ({time.time() - t0:.0f} s)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(HERE, "..", "..", "models"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--denoise-steps", type=int, default=4000)
    ap.add_argument("--sr-steps", type=int, default=3000)
    ap.add_argument("--skip-tuning", action="store_true", help="reuse out/tuning.json")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "train.log"), "w")

    def log(m: str) -> None:
        print(m, flush=True)
        logf.write(m + "\n")
        logf.flush()

    set_determinism(a.threads)
    import tune  # noqa: E402

    tuning = json.load(open(os.path.join(a.out, "tuning.json"))) if a.skip_tuning else tune.main(a.out)
    h = float(tuning["filters"][tune.REFERENCE[0]]["best"])
    log(f"OBNLM h = {h} (tuned on training frames)")
    frames = with_display_copies(training_frames())
    log(f"training frames: {len(frames)} (half of them 2 x 2-binned display copies)")
    den = train_denoiser(frames, h, a.denoise_steps, log)
    torch.save(den.state_dict(), os.path.join(a.out, "us-denoise.pt"))
    sr = train_sr(frames, a.sr_steps, log)
    torch.save(sr.state_dict(), os.path.join(a.out, "us-sr2.pt"))
    import evaluate  # noqa: E402

    evaluate.export_and_evaluate(den, sr, tuning, a.models_dir, a.out, log)


if __name__ == "__main__":
    main()
