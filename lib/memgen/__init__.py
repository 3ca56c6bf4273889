"""memgen: memorization and generalization in denoisers and diffusion models.

The library behind the book "Spiky or Balanced?", an interactive textbook on
Zhang et al., "Generalization of Diffusion Models Arises with a Balanced
Representation Space" (ICLR 2026, arXiv:2512.20963).

One module per concept:

- :mod:`memgen.data`        offline datasets (digits, faces, Gaussian mixtures) and a Hub loader
- :mod:`memgen.dae`         the two-layer ReLU denoising autoencoder f(x) = W2 [W1^T x]_+
- :mod:`memgen.train`       the seeded trainer, loss convention and optimizers
- :mod:`memgen.linear`      linear denoisers and the risk identity
- :mod:`memgen.denoisers`   the empirical optimal denoiser, its score (Tweedie)
- :mod:`memgen.sampling`    samplers with one denoiser signature and a per-step callback
- :mod:`memgen.stats`       representation statistics (std, top-1 share, l4/l2) and neighbours
- :mod:`memgen.figures`     the book's plotly renderer and shared figure helpers
- :mod:`memgen.experiments` the canonical experiments each chapter runs
- :mod:`memgen.scorecard`   every quantitative claim of the book, recomputed
- :mod:`memgen.unet`        small diffusers UNet2DModel denoisers: config, training, checksummed checkpoints
- :mod:`memgen.jacobian`    denoiser Jacobians: full (reverse mode), randomized top-k SVD from VJPs, effective rank
- :mod:`memgen.hub`         pretrained Hub models (DDPM, DiT, Stable Diffusion) as denoisers, with offline fallbacks
- :mod:`memgen.experiments_jacobian` chapter 7's experiments (UNet and DAE Jacobians)
- :mod:`memgen.views_jacobian`       chapter 7's figures
"""

__version__ = "0.1.0"
