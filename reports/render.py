"""Render the weekly report set with jinja2 and write it to files.

Per CSM an HTML and a text report, per flagged account an account-map brief (HTML and
Markdown), a manager rollup (HTML and text) and an index. Autoescape is on for every
``.html.j2`` template and StrictUndefined everywhere; `write_report_set` is the only function
here that touches the file system (each file written atomically).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reports.briefs import AccountBrief, brief_slug
from reports.export import atomic_write
from reports.rollup import ManagerRollup
from reports.schema import STATUSES
from reports.views import DORMANT_AFTER_DAYS, CsmReport

if TYPE_CHECKING:
    from jinja2 import Environment

#: Sub-folder of the report folder that holds the briefs (links are relative to it).
BRIEFS_DIR = "briefs"
ROLLUP_STEM = "rollup"
#: At most this many names per summary list (newly off track, recovered), then "and N more".
SUMMARY_LIMIT = 12


def csm_slug(email: str) -> str:
    """File-name slug of a CSM: lowercase, every run of non [a-z0-9] becomes one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-") or "csm"


def unique_slugs(reports: Sequence[CsmReport]) -> list[str]:
    """File stems for the reports, in order; a colliding slug gets -2, -3, ... appended."""
    used = {"index", ROLLUP_STEM}  # the listing and the rollup have these names
    out = []
    for report in reports:
        base = slug = csm_slug(report.csm_email)
        n = 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out.append(slug)
    return out


def format_arr(arr: float | None) -> str:
    """``$120,000`` (whole dollars), or an em dash when unknown."""
    if arr is None:
        return "—"
    return f"-${-arr:,.0f}" if arr < 0 else f"${arr:,.0f}"


def format_date(day: date | None) -> str:
    """ISO date, or an em dash when unknown."""
    return "—" if day is None else day.isoformat()


def format_number(value: float | None) -> str:
    """A metric value or threshold: ``3``, ``2.5``; an em dash when unknown."""
    return "—" if value is None else f"{value:g}"


def plural(n: int | None, word: str) -> str:
    """``1 day``, ``3 days``."""
    n = n or 0
    return f"{n} {word}{'' if n == 1 else 's'}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The jinja2 environment of every report template (jinja2 is imported here, on first use:
    commands that render nothing, such as the nightly `journey run`, start faster)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(arr=format_arr, day=format_date, num=format_number)
    env.globals.update(
        statuses=STATUSES,
        dormant_after_days=DORMANT_AFTER_DAYS,
        plural=plural,
        summary_limit=SUMMARY_LIMIT,
    )
    return env


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#<>&])")


def escape_markdown(value: Any) -> str:
    """Backslash-escape what Markdown (or raw HTML inside it) would interpret."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", "" if value is None else str(value))


@lru_cache(maxsize=1)
def markdown_environment() -> Environment:
    """Like `environment`, but every ``{{ value }}`` is Markdown-escaped (briefs in .md)."""
    env = environment().overlay(finalize=escape_markdown)
    return env


def _render(template: str, **context: Any) -> str:
    env = markdown_environment() if template.endswith(".md.j2") else environment()
    return env.get_template(template).render(**context)


def render_html(report: CsmReport) -> str:
    """The CSM report as a self-contained, email-safe HTML document (CSS not yet inlined)."""
    return _render("csm_report.html.j2", report=report)


def render_text(report: CsmReport) -> str:
    """The CSM report as plain text (the text/plain part of the email)."""
    return _render("csm_report.txt.j2", report=report)


def render_rollup_html(rollup: ManagerRollup) -> str:
    return _render("rollup.html.j2", rollup=rollup)


def render_rollup_text(rollup: ManagerRollup) -> str:
    return _render("rollup.txt.j2", rollup=rollup)


def render_brief_html(brief: AccountBrief) -> str:
    return _render("brief.html.j2", brief=brief)


def render_brief_markdown(brief: AccountBrief) -> str:
    return _render("brief.md.j2", brief=brief)


def render_index(
    reports: Sequence[CsmReport], slugs: Sequence[str], *, rollup: bool = False
) -> str:
    """An HTML index of all CSM reports; `slugs[i]` is the file stem of `reports[i]`."""
    entries = list(zip(reports, slugs, strict=True))
    as_of = reports[0].as_of if reports else None
    return _render("index.html.j2", entries=entries, as_of=as_of, rollup=rollup)


@dataclass(frozen=True)
class ReportSet:
    """One week's rendered documents, ready to write or to send."""

    reports: tuple[CsmReport, ...]
    slugs: tuple[str, ...]
    rollup: ManagerRollup | None
    briefs: tuple[AccountBrief, ...]


def write_report_set(report_set: ReportSet, out_dir: Path) -> list[Path]:
    """Write every document of the set under `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    documents: list[tuple[Path, str]] = []
    for report, slug in zip(report_set.reports, report_set.slugs, strict=True):
        documents += [
            (out_dir / f"{slug}.html", render_html(report)),
            (out_dir / f"{slug}.txt", render_text(report)),
        ]
    if report_set.rollup is not None:
        documents += [
            (out_dir / f"{ROLLUP_STEM}.html", render_rollup_html(report_set.rollup)),
            (out_dir / f"{ROLLUP_STEM}.txt", render_rollup_text(report_set.rollup)),
        ]
    if report_set.briefs:
        (out_dir / BRIEFS_DIR).mkdir(exist_ok=True)
    for brief in report_set.briefs:
        stem = brief_slug(brief.account.account_id)
        documents += [
            (out_dir / BRIEFS_DIR / f"{stem}.html", render_brief_html(brief)),
            (out_dir / BRIEFS_DIR / f"{stem}.md", render_brief_markdown(brief)),
        ]
    index = render_index(report_set.reports, report_set.slugs, rollup=report_set.rollup is not None)
    documents.append((out_dir / "index.html", index))
    for path, text in documents:
        atomic_write(path, text.encode("utf-8"))
    return [path for path, _ in documents]


def write_reports(reports: Sequence[CsmReport], out_dir: Path) -> list[Path]:
    """Write ``<slug>.html`` and ``<slug>.txt`` per CSM plus ``index.html``, each atomically."""
    report_set = ReportSet(tuple(reports), tuple(unique_slugs(reports)), None, ())
    return write_report_set(report_set, out_dir)
