"""Synthetic speckle for full-reference evaluation and training pairs.

Clean frame: a real B-mode frame smoothed with a Gaussian (sigma 1.5 px) - real anatomy, no speckle grain.
Noisy frame: the noise model of Coupé et al. 2009 / Loupas et al. 1989, u = v + sqrt(v) * sigma * eta, with eta a
unit-variance Gaussian field correlated over about one pixel (white noise smoothed by a Gaussian of sigma 0.7 px and
renormalised), so that its grain resembles speckle rather than pixel noise; clipped to 0..255.
"""
import cv2
import numpy as np

CLEAN_SIGMA_PX = 1.5
GRAIN_SIGMA_PX = 0.7
EVAL_SIGMA = 2.0  # sigma of the evaluation: at grey level 100 the noise SD is 20 grey levels


def clean_of(frame: np.ndarray) -> np.ndarray:
    """float32 (H, W) 0..255: the frame smoothed (the 'clean' image of the synthetic protocol)."""
    return cv2.GaussianBlur(frame.astype(np.float32), (0, 0), CLEAN_SIGMA_PX)


def correlated_noise(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), GRAIN_SIGMA_PX)
    return n / n.std()


def add_speckle(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """float32 (H, W) 0..255: clean + sqrt(clean) * sigma * eta, clipped."""
    v = clean.astype(np.float32)
    return np.clip(v + np.sqrt(np.maximum(v, 0)) * sigma * correlated_noise(v.shape, rng), 0, 255)
