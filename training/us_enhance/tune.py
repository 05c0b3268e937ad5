"""Tunes each classical filter's parameter (and OBNLM's h) on TRAINING frames only, by the mean PSNR against the clean
frame of the synthetic speckle protocol (speckle.py, sigma = EVAL_SIGMA). Writes out/tuning.json.
Frames used: every 10th SpinePhantomFreehand frame, every 3rd of the 12 training MSK images, one fCal and one
N-wire frame (9 frames), each with its own seeded noise."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402
from peers import PEERS, REFERENCE  # noqa: E402
from speckle import EVAL_SIGMA, add_speckle, clean_of  # noqa: E402
from metrics import psnr  # noqa: E402


def tuning_frames() -> list:
    tr = data.frames("train")
    by = {}
    for s, i, f in tr:
        by.setdefault(s.split("/")[0], []).append(f)
    spine = by["SpinePhantomFreehand.igs.mha"][::10]
    msk = by[data.MSK_DIR][::3]
    return spine + msk + [by["fCal_Test_Calibration_3NWires_fCal2.0.igs.mha"][95], by["NwirePhantomFreehand.igs.nrrd"][48]]


def main(out_dir: str) -> dict:
    rng = np.random.default_rng(2209)
    pairs = []
    for f in tuning_frames():
        c = clean_of(f)
        pairs.append((c, add_speckle(c, EVAL_SIGMA, rng)))
    result = {"sigma": EVAL_SIGMA, "frames": len(pairs), "filters": {}}
    for name, (fn, grid) in list(PEERS.items()) + [(REFERENCE[0], (REFERENCE[1], REFERENCE[2]))]:
        scores = {}
        for p in grid:
            scores[str(p)] = float(np.mean([psnr(c, fn(n, p)) for c, n in pairs]))
            print(name, p, round(scores[str(p)], 3), flush=True)
        best = max(grid, key=lambda p: scores[str(p)])
        result["filters"][name] = {"best": best, "psnr": scores}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tuning.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "out"))
