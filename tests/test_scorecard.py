"""The scorecard: target parsing, selection, and the JSON command line (chapter 1 claims computed
for real)."""

import json
import math

import pytest

from memgen.experiments import scorecard
from memgen.views import scorecard as vscore


@pytest.mark.parametrize(
    "value, target, expected",
    [
        (0.01, "<= 0.02", True),
        (0.02, "<= 0.02", True),
        (0.03, "<= 0.02", False),
        (0.96, ">= 0.95", True),
        (0.94, ">= 0.95", False),
        (1.0, "> 1", False),
        (0.5, "< 1e-0", True),
        (math.nan, ">= 0", False),
        (math.nan, "<= 1", False),
    ],
)
def test_holds(value, target, expected):
    assert scorecard.holds(value, target) is expected


def test_bad_target_is_rejected():
    with pytest.raises(ValueError, match="target"):
        scorecard.holds(1.0, "== 1")


def test_ids_are_unique_and_namespaced():
    ids = [c.id for c in scorecard.CLAIMS]
    assert len(ids) == len(set(ids))
    # every id has a namespace ("ch1.", "mem.", "gen.", ...), and one namespace belongs to one
    # chapter
    spaces = {}
    for c in scorecard.CLAIMS:
        space, _, rest = c.id.partition(".")
        assert space and rest, c.id
        spaces.setdefault(space, set()).add(c.chapter)
    assert all(len(chapters) == 1 for chapters in spaces.values()), spaces
    # the ids the foundation issue requires
    assert {"ch1.linear_identity_rel_err", "ch1.empirical_denoiser_memorizes"} <= set(ids)


def test_unknown_id_names_the_choices():
    with pytest.raises(ValueError, match="unknown claim id"):
        scorecard.evaluate(["ch1.nope"])


def test_json_cli_chapter1(capsys):
    code = scorecard.main(["--json", "--only", "ch1"])
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} == {c.id for c in scorecard.CLAIMS if c.chapter == "ch1"}
    for r in rows:
        assert set(r) == {"id", "claim", "value", "target", "holds", "verdict"}
        assert r["verdict"] in scorecard.VERDICTS
        assert r["holds"] is True, r
    assert code == 0


def test_html_table_marks_failures():
    rows = [
        {
            "id": "x.a",
            "claim": "c",
            "value": 0.5,
            "target": ">= 0.9",
            "holds": False,
            "verdict": "beyond",
            "chapter": "ch1",
            "doc": "chapters/ch01_denoising",
        }
    ]
    html = vscore.to_html(rows)
    assert "x.<wbr>a" in html and "sc-fails" in html and "sc-holds" not in html


def test_html_table_escapes_claim_text():
    rows = [
        {
            "id": "x.a",
            "claim": "gap << 1 & <b>bold</b>",
            "value": 0.5,
            "target": "<= 0.9",
            "holds": True,
        }
    ]
    html = vscore.to_html(rows)
    assert "gap &lt;&lt; 1 &amp; &lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;= 0.9" in html


def test_html_table_ids_break_at_separators():
    rows = [
        {
            "id": "jac.bf_mem_top_sv_cosine",
            "claim": "c",
            "value": 1.0,
            "target": ">= 0.9",
            "holds": True,
            "verdict": "beyond",
            "chapter": "ch7",
            "doc": "chapters/ch07_jacobians",
        }
    ]
    html = vscore.to_html(rows)
    assert "jac.<wbr>bf_<wbr>mem_<wbr>top_<wbr>sv_<wbr>cosine" in html and "sc-holds" in html
