"""The two ultrasound enhancement networks (PyTorch), small enough for video rate on one CPU core.

Both take and return single-channel B-mode frames as float32 tensors of shape (N, 1, H, W) scaled to [0, 1]
(8-bit grey / 255). No zero padding anywhere: borders are replicated, so a frame's edge is not darkened.

- ``DespeckleNetV``: the denoiser. The border replicated once, space-to-depth by 2 (pixel unshuffle, as in FFDNet,
  Zhang et al. 2018), six unpadded 3x3 convolutions at half resolution (16 channels), depth-to-space, and a residual
  added to the input; the output is clipped to [0, 1]. H and W must be even (the runtime pads by replication and
  crops back).
- ``SRNet2x``: x2 super-resolution after Shi et al. 2016 (ESPCN, sub-pixel convolution), as a residual on top of
  bicubic interpolation (Keys cubic convolution, a = -0.75, as OpenCV's INTER_CUBIC and PyTorch's bicubic), which is
  itself written as a fixed 4x4 convolution + depth-to-space so that the exported ONNX graph needs no Resize
  operator (whose border rules differ between runtimes). Output (N, 1, 2H, 2W), clipped to [0, 1].
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin: int, cout: int, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="replicate")


def keys_weights(t: float, a: float = -0.75) -> list:
    """Keys cubic convolution weights of the 4 taps at distances 1+t, t, 1-t, 2-t (t in [0, 1))."""

    def k(s: float) -> float:
        s = abs(s)
        if s <= 1:
            return (a + 2) * s**3 - (a + 3) * s**2 + 1
        if s < 2:
            return a * s**3 - 5 * a * s**2 + 8 * a * s - 4 * a
        return 0.0

    return [k(1 + t), k(t), k(1 - t), k(2 - t)]


def bicubic_x2_kernel() -> torch.Tensor:
    """(4, 1, 4, 4) kernel: output phase (dy, dx) of a x2 half-pixel bicubic upsampling from the 4x4 input
    neighbourhood starting one pixel above-left of the phase's nearest-lower input pixel (input padded by 2)."""
    # output 2i+0 samples input coordinate i-0.25: taps i-2..i+1 with t=0.75; output 2i+1 samples i+0.25: taps i-1..i+2, t=0.25
    w0 = keys_weights(0.75)  # taps at i-2, i-1, i, i+1
    w1 = keys_weights(0.25)  # taps at i-1, i, i+1, i+2
    # place both on a common 5-tap support i-2..i+2, then use a 5x5 kernel
    p = [w0 + [0.0], [0.0] + w1]
    k = torch.zeros(4, 1, 5, 5, dtype=torch.float64)
    for dy in range(2):
        for dx in range(2):
            for u in range(5):
                for v in range(5):
                    k[dy * 2 + dx, 0, u, v] = p[dy][u] * p[dx][v]
    return k.float()


class Bicubic2x(nn.Module):
    """x2 bicubic upsampling equal to PyTorch's F.interpolate(mode='bicubic', align_corners=False) (replicated
    borders), as replicate pad 2 + 5x5 convolution to 4 phases + depth-to-space."""

    def __init__(self):
        super().__init__()
        self.register_buffer("kernel", bicubic_x2_kernel())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), self.kernel)
        return F.pixel_shuffle(y, 2)


class SRNet2x(nn.Module):
    def __init__(self, width: int = 32, mid: int = 16):
        super().__init__()
        self.up = Bicubic2x()
        self.body = nn.Sequential(
            conv(1, width, 5), nn.ReLU(inplace=True),
            conv(width, mid), nn.ReLU(inplace=True),
            conv(mid, mid), nn.ReLU(inplace=True),
            conv(mid, 4),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(self.up(x) + F.pixel_shuffle(self.body(x), 2), 0.0, 1.0)


class DespeckleNetV(nn.Module):
    """The denoiser with one border replication at the input and unpadded ('valid') convolutions after it: space-to-depth
    by `s`, `depth` 3x3 convolutions of `width` channels at 1/s resolution, depth-to-space, residual, clip. The input
    is replicated by depth * s pixels on each side, which the unpadded convolutions consume exactly, so the output has
    the input's size; H and W must be multiples of s."""

    def __init__(self, width: int = 16, depth: int = 6, s: int = 2):
        super().__init__()
        self.s, self.pad = s, depth * s
        layers = [nn.Conv2d(s * s, width, 3), nn.ReLU(inplace=True)]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(width, width, 3), nn.ReLU(inplace=True)]
        layers += [nn.Conv2d(width, s * s, 3)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.pad
        xp = F.pad(x, (p, p, p, p), mode="replicate")
        r = F.pixel_shuffle(self.body(F.pixel_unshuffle(xp, self.s)), self.s)
        return torch.clamp(x + r, 0.0, 1.0)
