"""The condition language: parsing, every operator and combinator, null handling."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from segments.conditions import Condition, describe, to_expr, type_problems

CONDITION = TypeAdapter(Condition)

ACCOUNTS = pl.DataFrame(
    {
        "plan": ["enterprise", "growth", None, "starter"],
        "employees": [5000, 300, None, 20],
        "signed": [dt.date(2026, 1, 1), dt.date(2026, 3, 1), None, dt.date(2025, 12, 31)],
    }
)


def matches(raw: object) -> list[bool]:
    condition = CONDITION.validate_python(raw)
    return ACCOUNTS.with_columns(result=to_expr(condition))["result"].to_list()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"field": "plan", "eq": "growth"}, [False, True, False, False]),
        ({"field": "plan", "ne": "growth"}, [True, False, False, True]),
        ({"field": "plan", "in": ["growth", "starter"]}, [False, True, False, True]),
        ({"field": "plan", "not_in": ["growth", "starter"]}, [True, False, False, False]),
        ({"field": "employees", "gt": 300}, [True, False, False, False]),
        ({"field": "employees", "gte": 300}, [True, True, False, False]),
        ({"field": "employees", "lt": 300}, [False, False, False, True]),
        ({"field": "employees", "lte": 300}, [False, True, False, True]),
        ({"field": "employees", "between": [20, 300]}, [False, True, False, True]),
        ({"field": "employees", "in": [20, 300.0]}, [False, True, False, True]),
        ({"field": "plan", "is_null": True}, [False, False, True, False]),
        ({"field": "plan", "is_null": False}, [True, True, False, True]),
        ({"field": "signed", "gte": dt.date(2026, 1, 1)}, [True, True, False, False]),
        ("always", [True, True, True, True]),
        (
            {"all": [{"field": "employees", "gte": 100}, {"field": "plan", "ne": "enterprise"}]},
            [False, True, False, False],
        ),
        (
            {"any": [{"field": "employees", "gte": 1000}, {"field": "plan", "eq": "starter"}]},
            [True, False, False, True],
        ),
        ({"not": {"field": "plan", "eq": "growth"}}, [True, False, True, True]),
        ({"all": []}, [True, True, True, True]),
        ({"any": []}, [False, False, False, False]),
    ],
)
def test_operator_semantics(raw: object, expected: list[bool]) -> None:
    assert matches(raw) == expected


def test_icp_reference_reads_the_fits_column() -> None:
    cond = CONDITION.validate_python({"icp": "mm"})
    frame = pl.DataFrame({"fits.mm": [True, False, None]})
    result = frame.select(to_expr(cond, lambda icp: pl.col(f"fits.{icp}"))).to_series()
    assert result.to_list() == [True, False, False]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"field": "plan"}, "exactly one operator"),
        ({"field": "plan", "eq": 1, "gt": 2}, "found eq, gt"),
        ({"plan": "x", "eq": 1}, "Extra inputs"),
        ({"field": "a", "metric": "b", "eq": 1}, "exactly one of `field:` or `metric:`"),
        ({"field": "a", "between": [5, 1]}, "low <= high"),
        ("sometimes", "expected a condition"),
        (3, "expected a condition"),
    ],
)
def test_invalid_conditions_are_rejected(raw: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CONDITION.validate_python(raw)


def test_describe_reads_like_the_yaml() -> None:
    cond = CONDITION.validate_python(
        {"any": [{"field": "plan", "eq": "enterprise"}, {"not": {"field": "x", "in": [1, 2]}}]}
    )
    assert describe(cond) == "(plan = enterprise or not x in [1, 2])"


def test_type_problems_name_the_column_and_the_mismatch() -> None:
    schema = dict(ACCOUNTS.schema.items())
    cond = CONDITION.validate_python(
        {"all": [{"field": "plan", "gte": 3}, {"field": "industry", "eq": "x"}]}
    )
    problems = type_problems(cond, schema)
    assert problems[0] == "`plan ≥ 3` compares text column `plan` with number 3"
    assert problems[1].startswith("`industry` is not a column")


_plans = st.sampled_from(["enterprise", "growth", "starter", None])
_numbers = st.one_of(st.none(), st.integers(min_value=-10, max_value=10_000))
_leaf = st.one_of(
    st.builds(lambda v: {"field": "plan", "eq": v}, st.sampled_from(["growth", "starter"])),
    st.builds(lambda v: {"field": "employees", "gte": v}, st.integers(0, 6000)),
    st.builds(lambda v: {"field": "employees", "lt": v}, st.integers(0, 6000)),
    st.just({"field": "plan", "is_null": True}),
)
_conditions = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)


@given(
    raw=_conditions,
    plans=st.lists(_plans, min_size=1, max_size=8),
    data=st.data(),
)
def test_a_condition_and_its_not_partition_the_rows(raw: object, plans: list, data) -> None:
    employees = data.draw(st.lists(_numbers, min_size=len(plans), max_size=len(plans)))
    frame = pl.DataFrame(
        {"plan": plans, "employees": employees},
        schema={"plan": pl.String, "employees": pl.Int64},
    )
    cond = CONDITION.validate_python(raw)
    negated = CONDITION.validate_python({"not": raw})
    yes = frame.with_columns(r=to_expr(cond))["r"]
    no = frame.with_columns(r=to_expr(negated))["r"]
    assert yes.null_count() == 0
    assert (yes ^ no).all()
