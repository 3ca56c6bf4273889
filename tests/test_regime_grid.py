"""Chapter 2's (n, p) grid: the predicted stored fraction, and a trained cell against it."""

import pytest
import torch

from memgen.experiments import ch02_memorization as ex2
from memgen.fit_fast import fit_dae


def test_predicted_stored_fraction_counts_width_and_the_dying_threshold():
    X = torch.diag(torch.tensor([3.0, 2.0, 1.0, 0.5]))  # ||x||^2 = 9, 4, 1, 0.25
    assert ex2.predicted_stored_fraction(X, 8, lam=0.2) == 3 / 4  # n lam = 0.8 kills one
    assert ex2.predicted_stored_fraction(X, 2, lam=0.2) == 2 / 4  # two units store two
    assert ex2.predicted_stored_fraction(X, 8, lam=3.0) == 0.0  # n lam = 12 kills all


@pytest.mark.parametrize("p, want", [(1, 0.5), (2, 1.0), (6, 1.0)])
def test_a_trained_cell_stores_min_p_n_orthogonal_points(p, want):
    X = torch.zeros(2, 16)
    X[0, 0], X[1, 1] = 2.0, 1.5  # orthogonal: separable, both above n lam
    m = ex2.best_of(fit_dae(X, p, sigma=0.2, lam=0.1, steps=1500, seed=[0, 1, 2]))
    cell = ex2._grid_cell(X, m, 0.2, 0.1, torch.Generator().manual_seed(0))
    assert cell["predicted_stored_fraction"] == want
    assert cell["stored_fraction"] == want
    assert cell["top1_merged"] > 0.95 or p < 2
