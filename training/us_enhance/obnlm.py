"""OBNLM: the Optimized Bayesian Non-Local Means speckle filter (Coupé, Hellier, Kervrann, Barillot, IEEE Trans
Image Process 18(10):2221-2229, 2009), the slow reference the denoiser is trained to reproduce.

Noise model (eq. 2 of the paper): u = v + v^gamma * eta, eta ~ N(0, sigma^2), gamma = 0.5 for log-compressed
B-mode. The Bayesian derivation gives the Pearson distance between the patch B_i around x_i and B_j around x_j
(eq. 12):  d_P(i, j) = sum_p (u(B_i)(p) - u(B_j)(p))^2 / u(B_j)(p)^(2 gamma),
and the weight w(i, j) = exp(-d_P(i, j) / h^2). This is the pixelwise form (each pixel restored from its own
patch; the paper's blockwise variant is a speed-up of it): search window of radius M, patch radius alpha, the
centre pixel weighted by the largest weight of its neighbours (as in the authors' implementation), borders
handled by symmetric padding. Inputs and outputs are float arrays of grey levels 0..255 (H, W).

Vectorised over the (2M+1)^2 search offsets with numpy: each offset is a shifted copy, a squared difference, a box
sum over the patch (scipy.ndimage.uniform_filter) and an exponential over the whole frame.
"""
import numpy as np
from scipy.ndimage import uniform_filter

# Parameters used for the reference (search radius, patch radius, gamma); h is tuned on the training frames
M_DEFAULT = 10
ALPHA_DEFAULT = 2
GAMMA_DEFAULT = 0.5


def obnlm(u: np.ndarray, h: float, M: int = M_DEFAULT, alpha: int = ALPHA_DEFAULT, gamma: float = GAMMA_DEFAULT) -> np.ndarray:
    """Despeckles one B-mode frame.

    u: (H, W) grey levels 0..255 (any real dtype). h: smoothing parameter (the weight is exp(-d_P / h^2), d_P summed
    over the (2 alpha + 1)^2 patch pixels). Returns float32 (H, W) in 0..255.
    Raises ValueError for a non-2-D input or a non-positive h.
    """
    if u.ndim != 2:
        raise ValueError(f"OBNLM takes one 2-D frame, got shape {u.shape}")
    if not h > 0:
        raise ValueError(f"OBNLM needs h > 0, got {h}")
    u = u.astype(np.float32)
    H, W = u.shape
    pad = M + alpha
    up = np.pad(u, pad, mode="symmetric")
    # the Pearson denominator u(B_j)^(2 gamma), floored at 1 grey level (black pixels of the B-mode sector)
    den = np.maximum(up, 1.0) ** (2 * gamma)
    k = 2 * alpha + 1
    centre = up[M : M + H + 2 * alpha, M : M + W + 2 * alpha]  # u around x_i, with the patch margin
    acc = np.zeros((H, W), np.float32)
    wsum = np.zeros((H, W), np.float32)
    wmax = np.zeros((H, W), np.float32)
    inv_h2 = np.float32(1.0 / (h * h))
    for dy in range(-M, M + 1):
        for dx in range(-M, M + 1):
            if dy == 0 and dx == 0:
                continue
            sh = up[M + dy : M + dy + H + 2 * alpha, M + dx : M + dx + W + 2 * alpha]
            shd = den[M + dy : M + dy + H + 2 * alpha, M + dx : M + dx + W + 2 * alpha]
            d = (centre - sh) ** 2 / shd
            dp = uniform_filter(d, size=k, mode="constant")[alpha : alpha + H, alpha : alpha + W] * (k * k)
            w = np.exp(-dp * inv_h2)
            acc += w * sh[alpha : alpha + H, alpha : alpha + W]
            wsum += w
            np.maximum(wmax, w, out=wmax)
    wc = np.where(wmax > 0, wmax, 1.0).astype(np.float32)
    acc += wc * u
    wsum += wc
    return acc / wsum
