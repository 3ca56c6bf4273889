"""memgen: memorization and generalization in denoisers and diffusion models.

The library behind the book "Spiky or Balanced?", an interactive textbook on Zhang et al.,
"Generalization of Diffusion Models Arises with a Balanced Representation Space" (ICLR 2026,
arXiv:2512.20963). Three floors (the README's layout section states what each may import):

The science core, one module per concept:

- :mod:`memgen.data`           offline datasets (digits, faces, Gaussian mixtures)
- :mod:`memgen.dae`            the two-layer ReLU denoising autoencoder f(x) = W2 [W1^T x]_+
- :mod:`memgen.train_mc`       the reference trainer: plain Monte Carlo and autograd, the loss
  convention
- :mod:`memgen.fit_fast`       the fast trainer: the noise expectation in closed form plus a control
  variate
- :mod:`memgen.training`       the one trainer contract: a callback dict and :class:`TrainResult`
- :mod:`memgen.linear`         linear denoisers, the risk identity, the Wiener gain and
  second-moment spectrum
- :mod:`memgen.empirical`      the empirical optimal denoiser and its score (Tweedie)
- :mod:`memgen.sampling`       samplers with one denoiser signature and a per-step callback; sigma
  draws
- :mod:`memgen.stats`          representation statistics (std, top-1 share, l4/l2) and neighbours
- :mod:`memgen.metrics`        AUROC, ROC curve, TPR at a false positive rate, PSNR
- :mod:`memgen.memorization`   p >= n: stored samples, alive units, gains along samples
- :mod:`memgen.generalization` p << n: the per-cluster block prediction
- :mod:`memgen.mixed`          the mixed regime: duplicated samples, threshold multiplicity
- :mod:`memgen.phase`          batched (n, p) grids and the memorization phase diagram
- :mod:`memgen.theorem`        the block-structure theorem: separability, mask stability, purity,
  loss split
- :mod:`memgen.diffusion`      the toy diffusion model: time-conditioned ReLU denoiser, x0 loss,
  trajectories
- :mod:`memgen.unet`           small diffusers UNet2DModel denoisers: config, training, checksummed
  checkpoints
- :mod:`memgen.bfunet`         a bias-free (positively homogeneous) UNet, for chapter 7's
  intervention
- :mod:`memgen.jacobian`       denoiser Jacobians: full, randomized top-k SVD from VJPs, effective
  rank
- :mod:`memgen.detection`      memorization detection (spikiness score, Wen and LID baselines),
  steering hooks
- :mod:`memgen.shipped_data`   where the shipped files of ``data/`` are, in a checkout or installed
- :mod:`memgen.environment`    Colab, the book build or elsewhere
- :mod:`memgen.scorecard`      the entry point of ``python -m memgen.scorecard``

The chapters' floor:

- :mod:`memgen.experiments`    one module per chapter (``ch01_denoising`` ...
  ``ch08_applications``),
  the scorecard (:mod:`memgen.experiments.scorecard`) and the experiment cache
- :mod:`memgen.views`          one module per chapter, the plotly renderer
  (:mod:`memgen.views.render`),
  shared panels, the ipywidgets explorers and the glue helpers
- :mod:`memgen.hub`            for Colab: Hub models, the Stable Diffusion recipe, the ``datasets``
  loader

The book's tooling (Sphinx extension, Colab and student builds) is ``memgen_book``, outside this
package. The names below are the core API the chapters' exercises use.
"""

__version__ = "0.1.0"

from .dae import ReLUDAE
from .data import gaussian_mixture, load_digits, load_faces
from .empirical import empirical_denoiser, empirical_score
from .fit_fast import fit_dae
from .generalization import block_prediction
from .jacobian import effective_rank, full_jacobian, randomized_svd
from .linear import (
    memorization_gain,
    optimal_linear_denoiser,
    second_moment_spectrum,
    wiener_gain,
)
from .memorization import alive_units, separable_subset, unit_owners
from .metrics import auroc, psnr, roc_curve, tpr_at_fpr
from .mixed import threshold_multiplicity
from .sampling import sample_probability_flow, sample_ve_ancestral, sigma_schedule
from .stats import top1_share, unit_std
from .theorem import block_purity, mask_stability, separability
from .train_mc import train_dae
from .training import TrainResult

__all__ = [
    "ReLUDAE",
    "TrainResult",
    "alive_units",
    "auroc",
    "block_prediction",
    "block_purity",
    "effective_rank",
    "empirical_denoiser",
    "empirical_score",
    "fit_dae",
    "full_jacobian",
    "gaussian_mixture",
    "load_digits",
    "load_faces",
    "mask_stability",
    "memorization_gain",
    "optimal_linear_denoiser",
    "psnr",
    "randomized_svd",
    "roc_curve",
    "sample_probability_flow",
    "sample_ve_ancestral",
    "second_moment_spectrum",
    "separability",
    "separable_subset",
    "sigma_schedule",
    "threshold_multiplicity",
    "top1_share",
    "tpr_at_fpr",
    "train_dae",
    "unit_owners",
    "unit_std",
    "wiener_gain",
]
