"""Held-out evaluation of the enhancement models (issue 22), ONNX export, model cards and the manifest.

Held-out frames (data.frames('heldout')): BoneUltrasound_L14.igs.mha (21 frames) and the last 6 MSK images; never
seen in training or tuning. Figures are means over the 27 frames.

Denoiser:
- fidelity to the reference: PSNR / SSIM of the network's output against OBNLM's on the real frames;
- synthetic speckle (speckle.py, sigma = EVAL_SIGMA, seeded): PSNR / SSIM against the clean frame, for the speckled
  input, the classical peers at their tuned parameters, OBNLM, and the network;
- no-reference, on the real frames: ENL in a homogeneous region and CNR between the brightest structure and that
  region (regions found on the raw frame: 32 x 32 windows, homogeneous = lowest coefficient of variation of the
  frame smoothed at sigma 4 px among windows of mean > 40; structure = highest smoothed mean), same regions for
  every method;
- time per 512 x 512 frame of the reference (this numpy implementation, one thread).
Super-resolution x2: the held-out frame degraded by 2 x 2 area averaging, restored by OpenCV bicubic, OpenCV
Lanczos-4 and the network; PSNR / SSIM against the original.
"""
import json
import os
import platform
import time

import cv2
import numpy as np
import torch

import data
from manifest import entry, write_manifest
from metrics import cnr, enl, psnr, ssim
from obnlm import ALPHA_DEFAULT, GAMMA_DEFAULT, M_DEFAULT, obnlm
from onnx_export import export_onnx
from peers import PEERS
from speckle import CLEAN_SIGMA_PX, EVAL_SIGMA, GRAIN_SIGMA_PX, add_speckle, clean_of
from train import degrade

VERSION = "1.0.0"
EVAL_SEED = 1722


def run_net(net: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """Runs a network on a (H, W) 0..255 frame (cropped to even size for the denoiser's space-to-depth)."""
    with torch.no_grad():
        t = torch.from_numpy(x.astype(np.float32)[None, None] / 255.0)
        return net(t)[0, 0].numpy() * 255.0


def even(f: np.ndarray) -> np.ndarray:
    return f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2]


def rois(frame: np.ndarray) -> tuple:
    s = cv2.GaussianBlur(frame.astype(np.float32), (0, 0), 4)
    raw = frame.astype(np.float32)
    best_h, best_t, cv_min, mean_max = None, None, 1e9, -1
    H, W = frame.shape
    for y in range(0, H - 32, 8):
        for x in range(0, W - 32, 8):
            m = raw[y : y + 32, x : x + 32].mean()
            sw = s[y : y + 32, x : x + 32]
            if m > 40:
                cv = sw.std() / max(sw.mean(), 1e-6)
                if cv < cv_min:
                    cv_min, best_h = cv, (y, y + 32, x, x + 32)
            if sw.mean() > mean_max:
                mean_max, best_t = sw.mean(), (y, y + 32, x, x + 32)
    return best_h, best_t


def mean(xs: list) -> float:
    return float(np.mean(xs))


def evaluate_denoiser(net, tuning: dict, log) -> dict:
    h = float(tuning["filters"]["OBNLM (Coupé 2009, ours)"]["best"])
    rng = np.random.default_rng(EVAL_SEED)
    methods = {"speckled input": lambda x: x}
    for name, (fn, _) in PEERS.items():
        p = tuning["filters"][name]["best"]
        methods[f"{name}, {p}"] = (lambda fn, p: lambda x: fn(x, p))(fn, p)
    ref_name = f"OBNLM (Coupé 2009, ours), h {h:g}"
    methods[ref_name] = lambda x: obnlm(x, h=h)
    methods["denoise network"] = lambda x: run_net(net, x)
    syn = {k: {"psnr": [], "ssim": []} for k in methods}
    nr = {k: {"enl": [], "cnr": []} for k in methods if k != "speckled input"}
    nr["raw frame"] = {"enl": [], "cnr": []}
    fid = {"psnr": [], "ssim": []}
    frames = data.frames("heldout")
    for s, i, f in frames:
        f = even(f).astype(np.float32)
        c = clean_of(f)
        n = add_speckle(c, EVAL_SIGMA, rng)
        for k, fn in methods.items():
            y = fn(n)
            syn[k]["psnr"].append(psnr(c, y))
            syn[k]["ssim"].append(ssim(c, y))
        hom, tgt = rois(f)
        ref = obnlm(f, h=h)
        out = run_net(net, f)
        fid["psnr"].append(psnr(ref, out))
        fid["ssim"].append(ssim(ref, out))
        for k, fn in methods.items():
            if k == "speckled input":
                continue
            y = ref if k == ref_name else out if k == "denoise network" else fn(f)
            nr[k]["enl"].append(enl(y, hom))
            nr[k]["cnr"].append(cnr(y, tgt, hom))
        nr["raw frame"]["enl"].append(enl(f, hom))
        nr["raw frame"]["cnr"].append(cnr(f, tgt, hom))
        log(f"held-out {s}#{i}: synthetic PSNR net {syn['denoise network']['psnr'][-1]:.2f} ref {syn[ref_name]['psnr'][-1]:.2f}; fidelity {fid['psnr'][-1]:.2f}")
    # reference time on a 512 x 512 frame (a crop of the first held-out frame), and the network's in PyTorch for scale
    crop = even(frames[0][2]).astype(np.float32)[:512, :512]
    crop = np.pad(crop, ((0, 512 - crop.shape[0]), (0, 512 - crop.shape[1])), mode="edge")
    t = time.perf_counter()
    for _ in range(3):
        obnlm(crop, h=h)
    ref_s = (time.perf_counter() - t) / 3
    peers_best = max((k for k in syn if k not in ("speckled input", ref_name, "denoise network")), key=lambda k: mean(syn[k]["psnr"]))
    res = {
        "heldOutFrames": len(frames),
        "heldOutSources": sorted({s for s, _, _ in frames}),
        "reference": {"name": "OBNLM (Coupé et al. 2009), pixelwise", "h": h, "searchRadius": M_DEFAULT, "patchRadius": ALPHA_DEFAULT, "gamma": GAMMA_DEFAULT, "secondsPer512": ref_s, "implementation": "numpy, vectorised over search offsets, one thread"},
        "synthetic": {
            "protocol": f"clean = held-out frame smoothed (Gaussian sigma {CLEAN_SIGMA_PX} px); speckle u = v + sqrt(v) * {EVAL_SIGMA} * eta, eta Gaussian correlated over sigma {GRAIN_SIGMA_PX} px, seed {EVAL_SEED}",
            "methods": {k: {"psnr": mean(v["psnr"]), "ssim": mean(v["ssim"])} for k, v in syn.items()},
            "bestClassicalPeer": peers_best,
        },
        "fidelityToReference": {"psnr": mean(fid["psnr"]), "ssim": mean(fid["ssim"])},
        "noReference": {k: {"enl": mean(v["enl"]), "cnr": mean(v["cnr"])} for k, v in nr.items()},
    }
    m = res["synthetic"]["methods"]
    res["summary"] = {
        "networkPsnr": m["denoise network"]["psnr"],
        "referencePsnr": m[ref_name]["psnr"],
        "bestPeerPsnr": m[peers_best]["psnr"],
        "gainOverBestPeerDb": m["denoise network"]["psnr"] - m[peers_best]["psnr"],
        "gapToReferenceDb": m["denoise network"]["psnr"] - m[ref_name]["psnr"],
    }
    return res


def evaluate_sr(net, log) -> dict:
    out = {"bicubic (OpenCV INTER_CUBIC)": {"psnr": [], "ssim": []}, "Lanczos-4 (OpenCV INTER_LANCZOS4)": {"psnr": [], "ssim": []}, "sr2 network": {"psnr": [], "ssim": []}}
    for s, i, f in data.frames("heldout"):
        hr = even(f).astype(np.float32)
        lr = degrade(hr)
        H, W = hr.shape
        ups = {
            "bicubic (OpenCV INTER_CUBIC)": cv2.resize(lr, (W, H), interpolation=cv2.INTER_CUBIC),
            "Lanczos-4 (OpenCV INTER_LANCZOS4)": cv2.resize(lr, (W, H), interpolation=cv2.INTER_LANCZOS4),
            "sr2 network": run_net(net, lr),
        }
        for k, y in ups.items():
            out[k]["psnr"].append(psnr(hr, y))
            out[k]["ssim"].append(ssim(hr, y))
    res = {"protocol": "held-out frame cropped to even size, degraded by 2 x 2 area averaging (OpenCV INTER_AREA), upsampled x2, compared with the original", "methods": {k: {"psnr": mean(v["psnr"]), "ssim": mean(v["ssim"])} for k, v in out.items()}}
    m = res["methods"]
    res["summary"] = {"networkPsnr": m["sr2 network"]["psnr"], "lanczosPsnr": m["Lanczos-4 (OpenCV INTER_LANCZOS4)"]["psnr"], "bicubicPsnr": m["bicubic (OpenCV INTER_CUBIC)"]["psnr"], "gainOverLanczosDb": m["sr2 network"]["psnr"] - m["Lanczos-4 (OpenCV INTER_LANCZOS4)"]["psnr"]}
    log(f"sr2 held-out: {json.dumps(res['summary'])}")
    return res


def export_and_evaluate(den, sr, tuning: dict, models_dir: str, out_dir: str, log) -> None:
    tr = data.frames("train")
    parity = tr[5][2].astype(np.float32)[200:296, 300:428] / 255.0  # a SpinePhantomFreehand crop, 96 x 128
    export_onnx(den, os.path.join(models_dir, "us-denoise.onnx"), torch.rand(1, 1, 64, 64), parity, os.path.join(models_dir, "parity"))
    export_onnx(sr, os.path.join(models_dir, "us-sr2.onnx"), torch.rand(1, 1, 64, 64), parity, os.path.join(models_dir, "parity"))
    d = evaluate_denoiser(den, tuning, log)
    s = evaluate_sr(sr, log)
    env = {"python": platform.python_version(), "torch": torch.__version__, "machine": platform.machine(), "threads": torch.get_num_threads()}
    for name, res in (("us-denoise", d), ("us-sr2", s)):
        res["version"] = VERSION
        res["environment"] = env
        with open(os.path.join(models_dir, f"{name}.eval.json"), "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")
    import cards

    cards.write_cards(models_dir, den, sr, d, s, tuning)
    write_manifest_for(models_dir, d, s)
    log("wrote models/: ONNX, parity vectors, eval JSON, cards, manifest")


def validation_lines(d: dict, s: dict) -> tuple:
    """The one line each view shows beside a model's output (the manifest's `validation`)."""
    ds, ss = d["summary"], s["summary"]
    den = (
        f"Research model, not clinically validated; display only. Held-out frames (27): on synthetic speckle "
        f"{ds['gainOverBestPeerDb']:+.1f} dB PSNR over the best classical filter (target +3 dB not met); "
        f"on real frames it smooths less than TV and OBNLM. See its model card."
    )
    sr = (
        f"Research model, not clinically validated; display only: adds no information the probe did not acquire. "
        f"Held-out frames (27), x2 from 2x2-averaged frames: {ss['gainOverLanczosDb']:+.2f} dB PSNR over Lanczos. See its model card."
    )
    return den, sr


def write_manifest_for(models_dir: str, d: dict, s: dict) -> None:
    den, sr = validation_lines(d, s)
    write_manifest(
        models_dir,
        [
            entry(models_dir, "denoise", "denoise", VERSION, "us-denoise.onnx", 1, 2, "us-denoise.card.md", den),
            entry(models_dir, "sr2", "super-resolution", VERSION, "us-sr2.onnx", 2, 1, "us-sr2.card.md", sr),
        ],
    )


if __name__ == "__main__":
    # rewrites the cards and the manifest from the evaluation files already in models/ (no training, no evaluation)
    import argparse
    import sys

    ap = argparse.ArgumentParser()
    ap.add_argument("--cards-only", action="store_true", required=True)
    ap.add_argument("--models-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))
    a = ap.parse_args()
    from nets import DespeckleNetV, SRNet2x
    import cards

    d = json.load(open(os.path.join(a.models_dir, "us-denoise.eval.json")))
    s = json.load(open(os.path.join(a.models_dir, "us-sr2.eval.json")))
    tuning = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "tuning.json")))
    cards.write_cards(a.models_dir, DespeckleNetV(16, 6, 2), SRNet2x(), d, s, tuning)
    write_manifest_for(a.models_dir, d, s)
    print("rewrote the cards and the manifest", file=sys.stderr)
