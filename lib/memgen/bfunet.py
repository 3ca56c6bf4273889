"""A bias-free UNet: a convolutional denoiser that is positively homogeneous in its input.

Chapter 7 finds that a memorizing ``UNet2DModel`` has a Jacobian close to zero at its training
images: a network with additive constants (biases, normalisation shifts, added time embeddings)
can output a stored image whatever the input's scale. The two-layer DAE of chapters 1 to 5 has no
biases, so it stores *rays* and its Jacobian at a memorized input is the rank-one map onto the
stored sample. To test that this difference is the reason, this module builds a UNet with the
DAE's symmetry and nothing else changed: in the style of the bias-free CNNs of Mohan et al. (2020)
and Kadkhodaie et al. (2024), no operation on the path from the image to the output adds a
constant:

- 3x3 and 1x1 convolutions without bias, ReLU, average pooling, nearest upsampling, concatenated
  skips and residual sums; no normalisation layers (GroupNorm subtracts a mean and adds a shift);
- the noise level enters only as positive per-channel gains ``exp(g(ln sigma))`` (a small MLP of
  ``ln sigma``) that multiply the features, never as an added embedding.

So ``F(t x, c) = t F(x, c)`` for every ``t > 0``, and by Euler's theorem for piecewise-linear
maps ``J(x) x = F(x)``: the network's output is its Jacobian applied to its input. Wrapped by
:class:`memgen.unet.Denoiser` (``UNetConfig(architecture="bias_free")``) with the ``x0`` or ``edm``
parameterisation, the denoiser ``D(y, sigma)`` has the same property in ``y``.

The forward signature mirrors diffusers' ``UNet2DModel`` (``sample``, ``timestep``,
``class_labels``) and returns an object with a ``.sample`` field, so training, checkpoints and
Jacobian code are shared with the ``UNet2DModel`` denoisers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

#: c_noise = NOISE_SCALE * ln(sigma) (memgen.unet's convention); the gain MLP reads ln(sigma).
NOISE_SCALE = 250.0


@dataclass
class BiasFreeOutput:
    """What :class:`BiasFreeUNet` returns (like diffusers' ``UNet2DOutput``)."""

    sample: torch.Tensor


def _conv(c_in: int, c_out: int, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)


class ResBlock(nn.Module):
    """``x + conv2(relu(gain * conv1(relu(x))))``: a residual block without additive constants.
    ``conv2`` starts at zero, so every block starts as the identity."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1, self.conv2 = _conv(channels, channels), _conv(channels, channels)
        nn.init.zeros_(self.conv2.weight)

    def forward(self, x: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(gain * self.conv1(torch.relu(x))))


class BiasFreeUNet(nn.Module):
    """``F(x, c_noise)``: levels of widths ``block_out_channels`` (each halving the resolution),
    ``layers_per_block`` residual blocks per level on the way down and up, concatenated skips.

    Build it through :func:`memgen.unet.build_unet` with ``UNetConfig(architecture="bias_free")``.
    """

    def __init__(
        self,
        image_size: int,
        block_out_channels: tuple,
        layers_per_block: int = 1,
        gain_hidden: int = 32,
    ):
        super().__init__()
        C = tuple(int(c) for c in block_out_channels)
        if image_size % 2 ** (len(C) - 1):
            raise ValueError(
                f"config.image_size must be divisible by {2 ** (len(C) - 1)} (it is halved "
                f"{len(C) - 1} times for {len(C)} levels of block_out_channels), got {image_size}"
            )
        self.channels, self.layers = C, int(layers_per_block)
        self.conv_in = _conv(1, C[0])
        self.down = nn.ModuleList(nn.ModuleList(ResBlock(c) for _ in range(self.layers)) for c in C)
        self.to_lower = nn.ModuleList(_conv(C[i], C[i + 1], 1) for i in range(len(C) - 1))
        self.mid = ResBlock(C[-1])
        self.merge = nn.ModuleList(_conv(C[i + 1] + C[i], C[i], 1) for i in range(len(C) - 1))
        self.up = nn.ModuleList(
            nn.ModuleList(ResBlock(c) for _ in range(self.layers)) for c in C[:-1]
        )
        self.conv_out = _conv(C[0], 1)
        # one positive gain per channel of every residual block, in the order forward() uses them
        self._gain_sizes = (
            [c for c in C for _ in range(self.layers)]
            + [C[-1]]
            + [c for c in reversed(C[:-1]) for _ in range(self.layers)]
        )
        self.gain_mlp = nn.Sequential(
            nn.Linear(1, gain_hidden), nn.SiLU(), nn.Linear(gain_hidden, sum(self._gain_sizes))
        )
        nn.init.zeros_(self.gain_mlp[2].weight)
        nn.init.zeros_(self.gain_mlp[2].bias)

    def gains(self, timestep: torch.Tensor) -> list:
        """Per-block gains ``exp(g(ln sigma))``, each of shape (B, C, 1, 1), from ``c_noise``."""
        log_sigma = (timestep / NOISE_SCALE).reshape(-1, 1)
        g = torch.exp(self.gain_mlp(log_sigma))
        return [part[:, :, None, None] for part in torch.split(g, self._gain_sizes, dim=1)]

    def forward(self, sample: torch.Tensor, timestep, class_labels=None, return_dict: bool = True):
        if class_labels is not None:
            raise ValueError(
                "class_labels given, but a bias-free UNet is unconditional (config.num_classes = 0)"
            )
        B = sample.shape[0]
        t = torch.as_tensor(timestep, dtype=sample.dtype, device=sample.device)
        t = t.expand(B) if t.ndim == 0 else t
        gains = iter(self.gains(t))
        h, skips = self.conv_in(sample), []
        for i, blocks in enumerate(self.down):
            for block in blocks:
                h = block(h, next(gains))
            if i < len(self.to_lower):
                skips.append(h)
                h = self.to_lower[i](nn.functional.avg_pool2d(h, 2))
        h = self.mid(h, next(gains))
        for i in reversed(range(len(self.merge))):
            h = nn.functional.interpolate(h, scale_factor=2, mode="nearest")
            h = self.merge[i](torch.cat([h, skips.pop()], dim=1))
            for block in self.up[i]:
                h = block(h, next(gains))
        out = self.conv_out(torch.relu(h))
        return BiasFreeOutput(out) if return_dict else (out,)
