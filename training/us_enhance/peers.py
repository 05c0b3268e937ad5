"""Classical despeckling peers from Debian's packages, with the parameter each is tuned over.

- median filter: OpenCV (python3-opencv) ``cv2.medianBlur``, kernel size k;
- non-local means: OpenCV ``cv2.fastNlMeansDenoising`` (Buades et al. 2005, template 7, search 21), filter strength h;
- total variation: scikit-image (python3-skimage) ``denoise_tv_chambolle`` (Chambolle 2004), weight on [0, 1] data;
- OBNLM (obnlm.py, ours): the reference, tuned the same way (h).
All take and return float32 (H, W) grey levels 0..255.
"""
import cv2
import numpy as np
from skimage.restoration import denoise_tv_chambolle

from obnlm import obnlm


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def median(x: np.ndarray, k: int) -> np.ndarray:
    return cv2.medianBlur(_u8(x), int(k)).astype(np.float32)


def nlmeans(x: np.ndarray, h: float) -> np.ndarray:
    return cv2.fastNlMeansDenoising(_u8(x), None, h=float(h), templateWindowSize=7, searchWindowSize=21).astype(np.float32)


def tv(x: np.ndarray, weight: float) -> np.ndarray:
    return (denoise_tv_chambolle(x.astype(np.float64) / 255.0, weight=float(weight)) * 255.0).astype(np.float32)


def reference(x: np.ndarray, h: float) -> np.ndarray:
    return obnlm(x, h=float(h))


PEERS = {
    "median (OpenCV)": (median, [3, 5, 7, 9, 11]),
    "fastNlMeans (OpenCV)": (nlmeans, [6, 9, 12, 15, 18, 22, 26, 32]),
    "TV Chambolle (scikit-image)": (tv, [0.02, 0.04, 0.06, 0.09, 0.12, 0.16, 0.2]),
}
REFERENCE = ("OBNLM (Coupé 2009, ours)", reference, [8, 12, 16, 20, 25, 30, 36])
