"""Chapter 8's benchmark: the training set, the shipped checkpoint and the steering attribute."""

import numpy as np
import pytest
import torch

from memgen.experiments import ch08_applications as xd
from memgen.unet import checkpoint_meta


def test_training_set_matches_the_shipped_checkpoint():
    ts = xd.training_set()
    meta = checkpoint_meta(xd.NAME, xd.CHECKPOINT_DIR)
    assert ts["dup_index"].tolist() == meta["duplicated_indices"]
    assert (
        meta["copies"] == xd.COPIES
        and meta["steps"] == xd.TRAIN.steps
        and meta["seed"] == xd.TRAIN.seed
    )
    n_pool = len(ts["pool"])
    assert len(ts["x"]) == n_pool + xd.N_DUPLICATED * xd.COPIES
    # every duplicated digit is in the pool, and its copies carry their own prompt 10 + k
    for k, i in enumerate(ts["dup_index"].tolist()):
        rows = (ts["labels"] == 10 + k).nonzero().flatten()
        assert len(rows) == xd.COPIES
        assert torch.equal(ts["x"][rows], ts["x"][rows[:1]].expand(xd.COPIES, -1))
        assert i in ts["pool"].tolist()
    assert int(ts["labels"][:n_pool].max()) <= 9
    assert xd.CONFIG.num_classes == 10 + xd.N_DUPLICATED


def test_shipped_model_loads_and_is_conditional():
    model = xd.load_model()
    assert model.config == xd.CONFIG
    x = xd.training_set()["x"][:2]
    with torch.no_grad():
        assert not torch.allclose(model(x, 0.5, 0), model(x, 0.5, 10))


def test_prompt_labels_can_leave_out_a_class():
    ts = xd.training_set()
    labels = xd.prompt_labels(2, 1, exclude_class=3)
    assert 3 not in labels.tolist()
    kept = [10 + k for k in range(xd.N_DUPLICATED) if int(ts["dup_class"][k]) != 3]
    assert sorted(set(labels[labels >= 10].tolist())) == kept
    assert len(labels) == 2 * 9 + len(kept)


def test_boldness_classifier_orders_by_ink():
    ac = xd.attribute_classifier()
    assert ac["train_acc"] > 0.9
    # thicker strokes, more bold: dilating a thin digit's ink raises the logit
    thin = ac["thin"][:20]
    bolder = torch.maximum(thin, torch.roll(thin.reshape(-1, 8, 8), 1, dims=2).reshape(-1, 64))
    assert np.mean(xd.boldness(bolder) > xd.boldness(thin)) > 0.9


def test_paper_table_is_quoted_with_its_methods():
    names = [r["method"] for r in xd.PAPER_TABLE]
    assert "Wen et al." in names and "representation std (paper)" in names
    assert all(0 <= r["auc"] <= 1 and 0 <= r["tpr"] <= 1 and r["time"] > 0 for r in xd.PAPER_TABLE)


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_guidance_check_rejects_bad_guidance(bad):
    with pytest.raises(ValueError, match="guidance"):
        xd.guidance_check(bad)
