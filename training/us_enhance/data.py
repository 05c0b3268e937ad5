"""The real ultrasound frames of the shared data set, split into training and held-out sets (issue 22).

Training (and parameter tuning): SpinePhantomFreehand.igs.mha, the fCal 3-N-wire recording
(fCal_Test_Calibration_3NWires_fCal2.0.igs.mha), NwirePhantomFreehand.igs.nrrd (PLUS, BSD-3) and the first 12
images, sorted by name, of msk_vastus_lateralis_cc0/ (CC0).
Held out (never used for training, tuning or model selection): BoneUltrasound_L14.igs.mha (PLUS, BSD-3) and the
other 6 images of msk_vastus_lateralis_cc0/.

Frames are returned as float32 arrays (H, W) of 8-bit grey levels 0..255 (PNG images are read as grey).
The readers are minimal MetaImage / NRRD readers for PLUS sequence files (uint8, zlib/gzip or raw).
"""
import glob
import gzip
import os
import re
import zlib

import cv2
import numpy as np

TRAIN_SEQUENCES = ["SpinePhantomFreehand.igs.mha", "fCal_Test_Calibration_3NWires_fCal2.0.igs.mha", "NwirePhantomFreehand.igs.nrrd"]
HELD_OUT_SEQUENCES = ["BoneUltrasound_L14.igs.mha"]
MSK_DIR = "msk_vastus_lateralis_cc0"
MSK_TRAIN_COUNT = 12


def data_dir() -> str:
    """The shared data folder: $ORTHOTWIN_DATA or ../shared/data beside the repository."""
    d = os.environ.get("ORTHOTWIN_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    if not os.path.isdir(os.path.join(d, "us")):
        raise FileNotFoundError(f"the shared data folder {d} has no us/ folder: set ORTHOTWIN_DATA")
    return d


def _read_header(raw: bytes, sep: str) -> tuple:
    """Splits a text header from the binary data: returns (dict, data offset)."""
    if sep == "mha":
        m = re.search(rb"ElementDataFile\s*=\s*LOCAL\r?\n", raw)
        if not m:
            raise ValueError("not a MetaImage file with local data")
        head, off = raw[: m.start()].decode("latin-1"), m.end()
        fields = dict((k.strip(), v.strip()) for k, v in (l.split("=", 1) for l in head.splitlines() if "=" in l))
    else:
        i = raw.find(b"\n\n")
        if i < 0:
            raise ValueError("not a NRRD file")
        head, off = raw[:i].decode("latin-1"), i + 2
        fields = {}
        for l in head.splitlines()[1:]:
            if l.startswith("#"):
                continue
            if ":=" in l:
                k, v = l.split(":=", 1)
            elif ":" in l:
                k, v = l.split(":", 1)
            else:
                continue
            fields[k.strip()] = v.strip()
    return fields, off


def read_sequence(path: str) -> np.ndarray:
    """Frames of a PLUS sequence (.igs.mha or .igs.nrrd) as uint8 (frames, height, width)."""
    raw = open(path, "rb").read()
    if path.endswith(".nrrd"):
        f, off = _read_header(raw, "nrrd")
        w, h, n = (int(x) for x in f["sizes"].split())
        if f["type"] not in ("uint8", "uchar", "unsigned char"):
            raise ValueError(f"{path}: only uint8 frames are read, got {f['type']}")
        data = raw[off:]
        data = gzip.decompress(data) if f["encoding"] in ("gz", "gzip") else data
    else:
        f, off = _read_header(raw, "mha")
        w, h, n = (int(x) for x in f["DimSize"].split())
        if f["ElementType"] != "MET_UCHAR":
            raise ValueError(f"{path}: only MET_UCHAR frames are read, got {f['ElementType']}")
        data = raw[off:]
        data = zlib.decompress(data) if f.get("CompressedData", "False") == "True" else data
    a = np.frombuffer(data, dtype=np.uint8, count=w * h * n)
    return a.reshape(n, h, w)


def msk_images() -> list:
    return sorted(glob.glob(os.path.join(data_dir(), "us", MSK_DIR, "*.png")))


def read_png_grey(path: str) -> np.ndarray:
    a = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if a is None:
        raise ValueError(f"{path}: not a readable image")
    return a


def frames(split: str) -> list:
    """[(source name, frame index, uint8 (H, W))] of the 'train' or 'heldout' split."""
    if split not in ("train", "heldout"):
        raise ValueError(split)
    d = os.path.join(data_dir(), "us")
    out = []
    for s in TRAIN_SEQUENCES if split == "train" else HELD_OUT_SEQUENCES:
        for i, fr in enumerate(read_sequence(os.path.join(d, s))):
            out.append((s, i, fr))
    msk = msk_images()
    for p in msk[:MSK_TRAIN_COUNT] if split == "train" else msk[MSK_TRAIN_COUNT:]:
        out.append((os.path.join(MSK_DIR, os.path.basename(p)), 0, read_png_grey(p)))
    return out
