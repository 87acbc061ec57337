"""Account-map briefs (DESIGN §9): one page per flagged account for the whiteboard session.

`build_brief` is pure: the account's report view plus the extra columns of the accounts
source (``extras``: industry, employees, champion, competitor, ...) become seven sections.
Each line is either a *fact* (pre-filled from data, with where it came from) or an *open
question* for the session, so the scribe knows what to fill in. Rendering lives in
reports.render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from reports.views import AccountView

#: The session's three rules, printed on every brief.
SESSION_RULES: tuple[str, ...] = (
    "One scribe: one person holds the pen and writes everything on the board.",
    "Mark each contribution as FACT or OPINION.",
    "You are done when you know WHY the journey will work for this customer.",
)

#: Account-source columns the brief knows how to place; any other column is listed as-is.
KNOWN_COLUMNS = frozenset(
    [
        "account_id",
        "name",
        "start_date",
        "csm_email",
        "arr",
        "industry",
        "employees",
        "region",
        "website",
        "plan",
        "seats",
        "products",
        "contract_renewal",
        "champion",
        "competitor",
    ]
)


@dataclass(frozen=True)
class BriefItem:
    """One line of a brief: a fact from data (`value`) or an open question (`value` None)."""

    label: str
    value: str | None = None
    question: str | None = None

    @property
    def is_fact(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class BriefSection:
    title: str
    items: tuple[BriefItem, ...]


@dataclass(frozen=True)
class AccountBrief:
    """Everything printed on one account-map brief."""

    account: AccountView
    as_of: date
    sections: tuple[BriefSection, ...]
    rules: tuple[str, ...] = SESSION_RULES

    @property
    def open_questions(self) -> int:
        return sum(1 for s in self.sections for i in s.items if not i.is_fact)


def brief_slug(account_id: str) -> str:
    """File stem of an account's brief: the id with every unsafe run replaced by '-'."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", account_id).strip("-.") or "account"


def _text(value: Any) -> str | None:
    """A display string for a source value; None for missing or blank."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else f"{value:,.0f}"  # NaN is missing
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _fact(label: str, value: Any, question: str) -> BriefItem:
    """A fact when `value` is known, else the question that would establish it."""
    text = _text(value)
    return BriefItem(label, text, None if text is not None else question)


def _renewal(value: Any, as_of: date) -> str | None:
    if not isinstance(value, date):
        return _text(value)
    days = (value - as_of).days
    when = f"in {days} days" if days >= 0 else f"{-days} days ago"
    return f"{value.isoformat()} ({when})"


def _per_seat(arr: float | None, seats: Any) -> str | None:
    if arr is None or not isinstance(seats, int) or seats <= 0:
        return None
    return f"${arr / seats:,.0f} per seat per year"


def build_brief(view: AccountView, extras: Mapping[str, Any], as_of: date) -> AccountBrief:
    """The brief of one flagged account; `extras` are its accounts-source columns."""
    x = dict(extras)
    arr = view.arr if view.arr is not None else x.get("arr")
    reached = [m.milestone for m in view.timeline if m.state in ("done", "done_late")]
    missed = view.missed or "—"
    other = [
        BriefItem(k.replace("_", " ").capitalize(), _text(v))
        for k, v in sorted(x.items())
        if k not in KNOWN_COLUMNS and not k.startswith("_") and _text(v) is not None
    ]
    sections = (
        BriefSection(
            "The company and key facts",
            (
                BriefItem("Company", view.name),
                _fact("Website", x.get("website"), "What is their website?"),
                _fact("Industry", x.get("industry"), "Which industry are they in?"),
                _fact("Employees", x.get("employees"), "How many people work there?"),
                _fact("Region", x.get("region"), "Where are they based?"),
                BriefItem(
                    "Segment and journey",
                    f"{view.segment or '—'} · {view.journey_name or '—'} · day "
                    f"{view.day_of_journey if view.day_of_journey is not None else '—'}",
                ),
                *other,
                BriefItem(
                    "What changes for them this year",
                    None,
                    "What is the company trying to achieve this year, and what is in the way?",
                ),
            ),
        ),
        BriefSection(
            "Key stakeholders",
            (
                BriefItem(
                    "Decision maker",
                    None,
                    "Who signs the renewal and owns the budget? Have we met them?",
                ),
                _fact(
                    "Influencer (champion)",
                    x.get("champion"),
                    "Who champions us internally? Without one, who could?",
                ),
                _fact(
                    "Users",
                    _seats_line(x.get("seats"), view),
                    "Which teams use it weekly, and who leads them?",
                ),
            ),
        ),
        BriefSection(
            "Other stakeholders",
            (
                BriefItem(
                    "Others affected",
                    None,
                    "Who else is affected (IT, security, procurement, finance)? "
                    "Who could block, who could help?",
                ),
            ),
        ),
        BriefSection(
            "Commercial model",
            (
                _fact("Plan", x.get("plan"), "Which plan are they on?"),
                _fact("ARR", None if arr is None else f"${arr:,.0f}", "What do they pay per year?"),
                _fact("Seats", x.get("seats"), "How many seats did they buy?"),
                _fact(
                    "Price per seat", _per_seat(arr, x.get("seats")), "What is the price per seat?"
                ),
                BriefItem(
                    "How they make money",
                    None,
                    "How do they make money, and which of their numbers does our product move?",
                ),
            ),
        ),
        BriefSection(
            "Contract, products and services",
            (
                _fact("Products", x.get("products"), "Which modules did they buy?"),
                _fact(
                    "Contract renewal",
                    _renewal(x.get("contract_renewal"), as_of),
                    "When is the renewal, and what notice period applies?",
                ),
                BriefItem(
                    "Services",
                    None,
                    "Which services (onboarding, training, support tier) are included?",
                ),
            ),
        ),
        BriefSection(
            "Competitors and market",
            (
                _fact(
                    "Competitor in the account",
                    x.get("competitor"),
                    "Which alternatives did they consider or still use?",
                ),
                BriefItem(
                    "Market",
                    None,
                    "What is happening in their market that makes this urgent, or not?",
                ),
            ),
        ),
        BriefSection(
            "Why our product helps",
            (
                BriefItem("Reached so far", ", ".join(reached) if reached else "no milestone yet"),
                BriefItem("Missed", f"{missed}" + (" (critical)" if view.critical else "")),
                BriefItem(
                    "Outcome they bought us for",
                    None,
                    "What outcome did they buy us for, in their words?",
                ),
                BriefItem(
                    "Why the journey will work",
                    None,
                    "WHY will the journey work for them? (The session is done when you know.)",
                ),
            ),
        ),
    )
    return AccountBrief(account=view, as_of=as_of, sections=sections)


def _seats_line(seats: Any, view: AccountView) -> str | None:
    """Seats bought and the adoption metric on the timeline, when known."""
    active = next(
        (m for m in view.timeline if m.metric and "active" in m.metric and m.value is not None),
        None,
    )
    parts = []
    if isinstance(seats, int):
        parts.append(f"{seats} seats bought")
    if active is not None and active.value is not None:
        parts.append(f"{active.metric} now {active.value:g}")
    return " · ".join(parts) or None
