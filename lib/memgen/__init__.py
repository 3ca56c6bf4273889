"""memgen: memorization and generalization in denoisers and diffusion models.

The library behind the book "Spiky or Balanced?", an interactive textbook on
Zhang et al., "Generalization of Diffusion Models Arises with a Balanced
Representation Space" (ICLR 2026, arXiv:2512.20963).

One module per concept:

- :mod:`memgen.data`        offline datasets (digits, faces, Gaussian mixtures) and a Hub loader
- :mod:`memgen.dae`         the two-layer ReLU denoising autoencoder f(x) = W2 [W1^T x]_+
- :mod:`memgen.train_mc`       the seeded trainer, loss convention and optimizers
- :mod:`memgen.linear`      linear denoisers and the risk identity
- :mod:`memgen.empirical`   the empirical optimal denoiser, its score (Tweedie)
- :mod:`memgen.sampling`    samplers with one denoiser signature and a per-step callback
- :mod:`memgen.stats`       representation statistics (std, top-1 share, l4/l2) and neighbours
- :mod:`memgen.mixed`       the mixed regime: duplicated samples, threshold multiplicity, AUROC
- :mod:`memgen.phase`       batched (n, p) grids and the memorization phase diagram
- :mod:`memgen.views.render`     the book's plotly renderer and shared figure helpers
- :mod:`memgen.experiments` the canonical experiments each chapter runs
- :mod:`memgen.theorem`     the block-structure theorem: separability, mask stability, block purity, loss split
- :mod:`memgen.experiments.ch05_theorem` chapter 5's experiments (default setting, robustness grid, failure modes)
- :mod:`memgen.views.ch05_theorem` chapter 5's figures
- :mod:`memgen.diffusion`   the toy diffusion model: time-conditioned ReLU denoiser, x0 loss, trajectories, copies
- :mod:`memgen.experiments.ch06_diffusion` chapter 6's experiments (memorizing and generalizing toy diffusion)
- :mod:`memgen.views.ch06_diffusion` chapter 6's figures
- :mod:`memgen.experiments.ch04_mixed` chapter 4's experiments (mixed regime, phase diagram)
- :mod:`memgen.views.ch04_mixed` chapter 4's figures
- :mod:`memgen.scorecard`   every quantitative claim of the book, recomputed
- :mod:`memgen_book.colab`       the chapters' Colab notebooks and install cell (make notebooks)
- :mod:`memgen_book.course`      chapter facts (titles, times, exercises) for the course guide
- :mod:`memgen_book.student`     the student build's configuration (make student)
- :mod:`memgen.unet`        small diffusers UNet2DModel denoisers: config, training, checksummed checkpoints
- :mod:`memgen.bfunet`      a bias-free (positively homogeneous) UNet, for chapter 7's intervention
- :mod:`memgen.jacobian`    denoiser Jacobians: full (reverse mode), randomized top-k SVD from VJPs, effective rank
- :mod:`memgen.hub`         pretrained Hub models (DDPM, DiT, Stable Diffusion) as denoisers, with offline fallbacks
- :mod:`memgen.experiments.ch07_jacobians` chapter 7's experiments (UNet and DAE Jacobians)
- :mod:`memgen.views.ch07_jacobians`       chapter 7's figures
- :mod:`memgen.detection`   memorization detection (spikiness score, Wen and LID baselines) and steering hooks
- :mod:`memgen.hub.stable_diffusion` the Stable Diffusion v1.4 detection and steering recipe (Colab)
- :mod:`memgen.experiments.ch08_applications` chapter 8's benchmark model, detection table, sweep and steering
- :mod:`memgen.views.ch08_applications` chapter 8's figures
"""

__version__ = "0.1.0"
