"""ICP fit and first-match segment assignment."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segments.icp import Icp
from segments.rules import Segment, assign_segments

ICPS = (
    Icp.model_validate(
        {
            "id": "mm",
            "min_fit": 0.75,
            "criteria": [
                {"field": "industry", "in": ["software", "media"]},
                {"field": "employees", "between": [200, 2000]},
                {"field": "region", "in": ["NA", "EMEA"], "weight": 0.5},
            ],
        }
    ),
    Icp.model_validate(
        {"id": "big", "min_fit": 0.5, "criteria": [{"field": "employees", "gte": 1000}]}
    ),
)
SEGMENTS = tuple(
    Segment.model_validate(s)
    for s in [
        {"id": "enterprise", "journey": "ent", "when": {"field": "plan", "eq": "enterprise"}},
        {"id": "fit", "journey": "grow", "when": {"icp": "mm"}},
        {"id": "rest", "journey": "basic", "when": "always"},
    ]
)


def test_fit_is_the_weighted_share_of_criteria_met() -> None:
    accounts = pl.LazyFrame(
        {
            "plan": ["enterprise", "growth", "starter", "starter"],
            "industry": ["software", "software", "retail", None],
            "employees": [5000, 500, 1500, None],
            "region": ["NA", "APAC", "NA", None],
        }
    )
    out = assign_segments(accounts, SEGMENTS, ICPS).collect()
    # mm weights 1, 1, 0.5 (total 2.5): row 0 -> 1 + 0 + 0.5 = 0.6; row 1 -> 2/2.5 = 0.8;
    # row 2 -> (1 + 0.5)/2.5 = 0.6; row 3 -> 0.
    assert out["fit.mm"].to_list() == pytest.approx([0.6, 0.8, 0.6, 0.0])
    assert out["fits.mm"].to_list() == [False, True, False, False]
    assert out["fits.big"].to_list() == [True, False, True, False]
    expected = pl.DataFrame(
        {
            "segment": ["enterprise", "fit", "rest", "rest"],
            "journey": ["ent", "grow", "basic", "basic"],
            "icp": ["big", "mm", "big", None],
            "icp_fit": [1.0, 0.8, 1.0, 0.0],
        }
    )
    assert_frame_equal(out.select("segment", "journey", "icp", "icp_fit"), expected, abs_tol=1e-9)


def test_no_match_leaves_segment_null() -> None:
    segments = SEGMENTS[:1]
    out = assign_segments(pl.LazyFrame({"plan": ["growth"]}), segments, ()).collect()
    assert out["segment"].to_list() == [None]
    assert out["icp"].to_list() == [None]
