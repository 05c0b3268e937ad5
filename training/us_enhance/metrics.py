"""Image quality measures (issue 22): PSNR and SSIM are scikit-image's (peak 255; SSIM with the 11x11 Gaussian window
of sigma 1.5 and K1 = 0.01, K2 = 0.03 of Wang et al. 2004); ENL = mu^2 / sigma^2 and CNR = |mu_t - mu_b| /
sqrt(sigma_t^2 + sigma_b^2) over regions of interest."""
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def psnr(ref: np.ndarray, x: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(ref.astype(np.float64), np.clip(x, 0, 255).astype(np.float64), data_range=255))


def ssim(ref: np.ndarray, x: np.ndarray) -> float:
    return float(structural_similarity(ref.astype(np.float64), np.clip(x, 0, 255).astype(np.float64), data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False))


def enl(x: np.ndarray, roi: tuple) -> float:
    y0, y1, x0, x1 = roi
    r = x[y0:y1, x0:x1].astype(np.float64)
    return float(r.mean() ** 2 / max(r.var(), 1e-12))


def cnr(x: np.ndarray, target: tuple, background: tuple) -> float:
    t = x[target[0] : target[1], target[2] : target[3]].astype(np.float64)
    b = x[background[0] : background[1], background[2] : background[3]].astype(np.float64)
    return float(abs(t.mean() - b.mean()) / np.sqrt(t.var() + b.var() + 1e-12))
