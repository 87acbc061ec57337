"""The condition language shared by ICP criteria, segment rules, metric filters and milestones.

A condition is YAML data, never code:

    {field: plan, eq: enterprise}          a comparison on an account/event column
    {metric: logins, gte: 1}               a comparison on a metric (milestones)
    {all: [...]} / {any: [...]} / {not: {...}}
    {icp: mid_market_saas}                 the account fits that ICP
    always

Comparisons with a missing (null) value are false, except `is_null`; so a condition and its
`not` always partition the rows. Conditions compile to `polars.Expr` by `to_expr`; nothing is
ever evaluated with Python `eval`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

Scalar = bool | int | float | str | dt.date | dt.datetime

#: Comparison operators, in the order they are documented.
OPERATORS: tuple[str, ...] = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "is_null",
)

_SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Comparison(_Model):
    """`{field: F, OP: value}` or `{metric: M, OP: value}` with exactly one operator."""

    field: str | None = None
    metric: str | None = None
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(default=None, alias="in")
    not_in: tuple[Scalar, ...] | None = None
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None
    between: tuple[Scalar, Scalar] | None = None
    is_null: bool | None = None

    @model_validator(mode="after")
    def _one_subject_one_operator(self) -> Comparison:
        if (self.field is None) == (self.metric is None):
            raise ValueError("a comparison needs exactly one of `field:` or `metric:`")
        ops = [op for op in OPERATORS if getattr(self, _attr(op)) is not None]
        if len(ops) != 1:
            found = ", ".join(ops) if ops else "none"
            raise ValueError(
                f"a comparison needs exactly one operator of {', '.join(OPERATORS)}; found {found}"
            )
        if self.between is not None and _gt(self.between[0], self.between[1]):
            raise ValueError("`between: [low, high]` needs low <= high")
        return self

    @property
    def subject(self) -> str:
        """The column the comparison reads (a field or a metric name)."""
        return self.field if self.field is not None else str(self.metric)

    @property
    def operator(self) -> str:
        return next(op for op in OPERATORS if getattr(self, _attr(op)) is not None)

    @property
    def operand(self) -> Any:
        return getattr(self, _attr(self.operator))


class AllOf(_Model):
    """`{all: [...]}`: every condition holds (an empty list holds)."""

    all: tuple[Condition, ...]


class AnyOf(_Model):
    """`{any: [...]}`: at least one condition holds (an empty list never holds)."""

    any: tuple[Condition, ...]


class NotOf(_Model):
    """`{not: {...}}`: the condition does not hold."""

    not_: Condition = Field(alias="not")


class IcpRef(_Model):
    """`{icp: ID}`: the account fits that ideal customer profile."""

    icp: str


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "always_kw" if value == "always" else None
    if isinstance(value, dict):
        for key in ("all", "any", "not", "icp"):
            if key in value:
                return _KEY_TAGS[key]
        return "comparison"
    if isinstance(value, BaseModel):
        return {AllOf: "all_of", AnyOf: "any_of", NotOf: "not_of", IcpRef: "icp_ref"}.get(
            type(value), "comparison"
        )
    return None


_KEY_TAGS = {"all": "all_of", "any": "any_of", "not": "not_of", "icp": "icp_ref"}

#: Union tags that pydantic puts into error locations; config error reporting drops them.
CONDITION_TAGS = frozenset({"comparison", "always_kw", *_KEY_TAGS.values()})


Condition = Annotated[
    Annotated[Comparison, Tag("comparison")]
    | Annotated[AllOf, Tag("all_of")]
    | Annotated[AnyOf, Tag("any_of")]
    | Annotated[NotOf, Tag("not_of")]
    | Annotated[IcpRef, Tag("icp_ref")]
    | Annotated[Literal["always"], Tag("always_kw")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message=(
            "expected a condition: {field|metric: NAME, OP: value}, {all: [...]}, "
            "{any: [...]}, {not: {...}}, {icp: ID} or `always`"
        ),
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


def _gt(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return False


def walk(condition: Condition) -> Iterator[Condition]:
    """Every node of a condition tree, depth first, the root first."""
    yield condition
    if isinstance(condition, AllOf):
        for child in condition.all:
            yield from walk(child)
    elif isinstance(condition, AnyOf):
        for child in condition.any:
            yield from walk(child)
    elif isinstance(condition, NotOf):
        yield from walk(condition.not_)


def comparisons(condition: Condition) -> list[Comparison]:
    """The comparisons (leaves with a field or metric) of a condition, in order."""
    return [node for node in walk(condition) if isinstance(node, Comparison)]


IcpResolver = Callable[[str], pl.Expr]


def _no_icp(icp_id: str) -> pl.Expr:
    raise ValueError(f"`icp: {icp_id}` is not allowed here")


def to_expr(condition: Condition, icp: IcpResolver = _no_icp) -> pl.Expr:
    """Compile a condition into a boolean polars expression that is never null."""
    if condition == "always":
        return pl.lit(True)
    if isinstance(condition, AllOf):
        return pl.all_horizontal([to_expr(c, icp) for c in condition.all] or [pl.lit(True)])
    if isinstance(condition, AnyOf):
        return pl.any_horizontal([to_expr(c, icp) for c in condition.any] or [pl.lit(False)])
    if isinstance(condition, NotOf):
        return ~to_expr(condition.not_, icp)
    if isinstance(condition, IcpRef):
        return icp(condition.icp).fill_null(False)
    assert isinstance(condition, Comparison)
    return _comparison_expr(condition)


def _comparison_expr(cmp: Comparison) -> pl.Expr:
    col = pl.col(cmp.subject)
    op, value = cmp.operator, cmp.operand
    if op == "is_null":
        return col.is_null() if value else col.is_not_null()
    if op in ("in", "not_in"):
        # One equality per listed value: polars' `is_in` needs exactly matching dtypes,
        # while `eq` compares an Int64 column with a float literal as users expect.
        member = pl.any_horizontal([col.eq(pl.lit(v)) for v in value] or [pl.lit(False)])
        expr = member if op == "in" else ~member
        return (expr & col.is_not_null()).fill_null(False)
    if op == "between":
        low, high = value
        return col.is_between(pl.lit(low), pl.lit(high), closed="both").fill_null(False)
    compare = {
        "eq": col.eq,
        "ne": col.ne,
        "gt": col.gt,
        "gte": col.ge,
        "lt": col.lt,
        "lte": col.le,
    }[op]
    return compare(pl.lit(value)).fill_null(False)


def describe(condition: Condition) -> str:
    """A condition as short human-readable text, e.g. `weekly_active_users ≥ 10`."""
    if condition == "always":
        return "always"
    if isinstance(condition, AllOf):
        return "(" + " and ".join(describe(c) for c in condition.all) + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(describe(c) for c in condition.any) + ")"
    if isinstance(condition, NotOf):
        return f"not {describe(condition.not_)}"
    if isinstance(condition, IcpRef):
        return f"fits ICP {condition.icp}"
    assert isinstance(condition, Comparison)
    op, value = condition.operator, condition.operand
    if op == "is_null":
        return f"{condition.subject} is {'missing' if value else 'present'}"
    if op in ("in", "not_in"):
        items = ", ".join(str(v) for v in value)
        return f"{condition.subject} {'in' if op == 'in' else 'not in'} [{items}]"
    if op == "between":
        return f"{condition.subject} between {value[0]} and {value[1]}"
    return f"{condition.subject} {_SYMBOLS[op]} {value}"


def _literal_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def _dtype_kind(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "number"
    if dtype.is_temporal():
        return "date"
    if dtype in (pl.String, pl.Categorical, pl.Enum) or isinstance(dtype, pl.Categorical):
        return "text"
    return "other"


def type_problems(condition: Condition, schema: dict[str, pl.DataType]) -> list[str]:
    """What in a condition cannot be evaluated against columns of these types.

    Checked before compiling, so that a rule comparing a text column with a number fails with
    a sentence that names the column, not with a polars error at collect time.
    """
    problems: list[str] = []
    for cmp in comparisons(condition):
        if cmp.subject not in schema:
            known = ", ".join(sorted(schema))
            problems.append(f"`{cmp.subject}` is not a column (columns: {known})")
            continue
        if cmp.operator == "is_null":
            continue
        operand = cmp.operand
        values = operand if isinstance(operand, tuple) else (operand,)
        column_kind = _dtype_kind(schema[cmp.subject])
        for value in values:
            kind = _literal_kind(value)
            if column_kind != "other" and kind != column_kind:
                problems.append(
                    f"`{describe(cmp)}` compares {column_kind} column `{cmp.subject}` "
                    f"with {kind} {value!r}"
                )
                break
    return problems
