"""The weekly emails as MIME messages (DESIGN §9, §10). Pure: no network, no clock.

One message per CSM with at least one account (not for ``unassigned``) plus the manager
rollup. Each is multipart/alternative: text/plain first, then text/html with the CSS inlined
(css-inline; the ``<style>`` block is dropped, since many mail clients ignore it). Headers:
a Message-ID that is stable per week and recipient (a re-sent copy is recognisably the same
message), ``Auto-Submitted: auto-generated`` (RFC 3834: no auto-replies) and no CR or LF in
any header value — a value that carries one is refused, never folded or stripped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

import css_inline

from reports.render import (
    ReportSet,
    plural,
    render_html,
    render_rollup_html,
    render_rollup_text,
    render_text,
)
from reports.views import UNASSIGNED_CSM, CsmReport

#: What a plausible single email address looks like (no spaces, no display name).
ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


class UnsafeHeaderError(ValueError):
    """A header value would carry a line break (header injection) or is not an address."""


@dataclass(frozen=True)
class OutgoingEmail:
    """One rendered weekly email before it becomes a MIME message."""

    recipient: str
    kind: str  # csm | rollup
    subject: str
    text: str
    html: str  # CSS already inlined


def safe_header(name: str, value: str) -> str:
    """`value`, unless it holds a CR or LF (then UnsafeHeaderError)."""
    if "\r" in value or "\n" in value:
        raise UnsafeHeaderError(f"refusing a line break in the {name} header: {value!r}")
    return value


def safe_address(name: str, value: str) -> str:
    """A single plain address for `name`, or UnsafeHeaderError."""
    safe_header(name, value)
    if not ADDRESS.match(value.strip()):
        raise UnsafeHeaderError(f"{name} is not a single email address: {value!r}")
    return value.strip()


def message_id(week: date, recipient: str, sender: str) -> str:
    """``<journey.<week>.<hash of recipient>@<sender's domain>>``: stable per week, recipient."""
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()[:20]
    domain = sender.rsplit("@", 1)[-1].strip() or "journey.invalid"
    return f"<journey.{week.isoformat()}.{digest}@{domain}>"


def inline_css(html: str) -> str:
    """The HTML with every ``<style>`` rule moved into style attributes."""
    return css_inline.inline(html)


def csm_subject(report: CsmReport) -> str:
    week = report.week_of.isoformat()
    if not report.accounts:
        return f"Journey: nothing off track this week (week of {week})"
    new = len(report.newly_off_track)
    extra = f", {new} new" if new else ""
    return f"Journey: {plural(report.off_track_total, 'off-track account')}{extra} (week of {week})"


def weekly_emails(report_set: ReportSet, manager: str | None) -> list[OutgoingEmail]:
    """The week's emails: one per CSM (unassigned accounts go to no one), then the rollup."""
    emails = [
        OutgoingEmail(
            recipient=report.csm_email,
            kind="csm",
            subject=csm_subject(report),
            text=render_text(report),
            html=inline_css(render_html(report)),
        )
        for report in report_set.reports
        if report.csm_email != UNASSIGNED_CSM
    ]
    rollup = report_set.rollup
    if manager and rollup is not None:
        t = rollup.totals
        emails.append(
            OutgoingEmail(
                recipient=manager,
                kind="rollup",
                subject=f"Journey rollup: {t.off_track} off track across "
                f"{plural(len(rollup.rows), 'CSM')} (week of {rollup.week_of.isoformat()})",
                text=render_rollup_text(rollup),
                html=inline_css(render_rollup_html(rollup)),
            )
        )
    return emails


def build_message(
    email: OutgoingEmail,
    *,
    sender: str,
    week: date,
    now: datetime,
    reply_to: str | None = None,
) -> EmailMessage:
    """The MIME message of `email`: multipart/alternative, text first, then HTML."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = safe_address("From", sender)
    msg["To"] = safe_address("To", email.recipient)
    if reply_to:
        msg["Reply-To"] = safe_address("Reply-To", reply_to)
    msg["Subject"] = safe_header("Subject", email.subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(week, email.recipient, sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Journey-Week"] = week.isoformat()
    msg.set_content(email.text, subtype="plain", charset="utf-8")
    msg.add_alternative(email.html, subtype="html", charset="utf-8")
    return msg


def eml_name(email: OutgoingEmail, taken: Sequence[str] = ()) -> str:
    """A file name for the dry-run copy of `email`."""
    stem = re.sub(r"[^a-z0-9]+", "-", email.recipient.lower()).strip("-") or "recipient"
    name = f"{email.kind}-{stem}.eml"
    n = 1
    while name in taken:
        n += 1
        name = f"{email.kind}-{stem}-{n}.eml"
    return name
