"""The weekly emails as MIME messages, and SMTP retry decisions (no network here)."""

from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import polars as pl
import pytest
from report_week import AS_OF

from reports.delivery import SmtpConfig, deliver, is_temporary
from reports.email import (
    OutgoingEmail,
    UnsafeHeaderError,
    build_message,
    message_id,
    weekly_emails,
)
from reports.weekly import build_report_set

WEEK = date(2024, 3, 4)
NOW = datetime(2024, 3, 4, 7, 0, tzinfo=UTC)


def emails(week: dict[str, pl.DataFrame], manager: str | None = "lead@example.com") -> list:
    rs = build_report_set(week["accounts"], week["milestones"], as_of=AS_OF, trends=week["trends"])
    return weekly_emails(rs, manager)


def test_one_email_per_csm_then_the_rollup(week: dict[str, pl.DataFrame]) -> None:
    out = emails(week)
    assert [(e.recipient, e.kind) for e in out] == [
        ("ana@example.com", "csm"),
        ("bo@example.com", "csm"),
        ("lead@example.com", "rollup"),
    ]
    assert out[0].subject == "Journey: 4 off-track accounts, 1 new (week of 2024-03-04)"
    assert out[1].subject == "Journey: nothing off track this week (week of 2024-03-04)"
    assert [e.kind for e in emails(week, manager=None)] == ["csm", "csm"]


def test_message_is_multipart_alternative_text_first_with_inlined_css(
    week: dict[str, pl.DataFrame],
) -> None:
    msg = build_message(emails(week)[0], sender="cs-ops@example.com", week=WEEK, now=NOW)
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    html = parts[1].get_content()
    assert "<style" not in html and 'style="' in html and "<script" not in html.lower()
    assert "YOUR OFF-TRACK ACCOUNTS" in parts[0].get_content()
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"] == message_id(WEEK, "ana@example.com", "cs-ops@example.com")
    assert parsed["To"] == "ana@example.com" and parsed["From"] == "cs-ops@example.com"


def test_message_id_is_stable_per_week_and_recipient() -> None:
    a = message_id(WEEK, "ana@example.com", "ops@example.com")
    assert a == message_id(WEEK, "ANA@example.com ", "ops@example.com")
    assert a != message_id(date(2024, 3, 11), "ana@example.com", "ops@example.com")
    assert a != message_id(WEEK, "bo@example.com", "ops@example.com")
    assert a.startswith("<journey.2024-03-04.") and a.endswith("@example.com>")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recipient", "ana@example.com\r\nBcc: all@example.com"),
        ("recipient", "ana@example.com\nBcc: x@example.com"),
        ("subject", "Hello\r\nBcc: all@example.com"),
        ("recipient", "two@example.com, three@example.com"),
    ],
)
def test_header_values_with_line_breaks_are_refused(field: str, value: str) -> None:
    values = {"recipient": "ana@example.com", "subject": "Weekly", "text": "t", "html": "<p>h</p>"}
    values[field] = value
    email = OutgoingEmail(kind="csm", **values)
    with pytest.raises(UnsafeHeaderError):
        build_message(email, sender="cs-ops@example.com", week=WEEK, now=NOW)


def test_sender_and_reply_to_are_checked_too() -> None:
    email = OutgoingEmail("ana@example.com", "csm", "s", "t", "<p>h</p>")
    with pytest.raises(UnsafeHeaderError):
        build_message(email, sender="ops@example.com\nX: y", week=WEEK, now=NOW)
    with pytest.raises(UnsafeHeaderError):
        build_message(email, sender="ops@example.com", week=WEEK, now=NOW, reply_to="a\rb@c.d")


class FakeServer:
    """Replies with the given SMTP codes, one per attempt (250 = accepted)."""

    def __init__(self, *codes: int) -> None:
        self.codes = list(codes)
        self.attempts = 0

    def __call__(self, message: object, config: SmtpConfig) -> None:
        self.attempts += 1
        code = self.codes.pop(0)
        if code == 0:
            raise ConnectionRefusedError("connection refused")
        if code != 250:
            raise smtplib.SMTPDataError(code, b"try later" if code < 500 else b"no such user")


CONFIG = SmtpConfig("localhost", 25, "none", attempts=4, backoff_seconds=1.5)


def test_temporary_failures_are_retried_with_exponential_backoff() -> None:
    server, sleeps = FakeServer(451, 0, 250), []
    result = deliver(None, CONFIG, send=server, sleep=sleeps.append)  # type: ignore[arg-type]
    assert result.sent and result.attempts == 3 and sleeps == [1.5, 3.0]


def test_permanent_failures_are_not_retried() -> None:
    server, sleeps = FakeServer(550), []
    result = deliver(None, CONFIG, send=server, sleep=sleeps.append)  # type: ignore[arg-type]
    assert not result.sent and result.permanent and result.attempts == 1 and sleeps == []
    assert result.error == "550 no such user"


def test_retries_are_bounded() -> None:
    server, sleeps = FakeServer(451, 451, 451, 451, 250), []
    result = deliver(None, CONFIG, send=server, sleep=sleeps.append)  # type: ignore[arg-type]
    assert not result.sent and not result.permanent and server.attempts == 4
    assert sleeps == [1.5, 3.0, 6.0]


def test_what_counts_as_temporary() -> None:
    assert is_temporary(smtplib.SMTPServerDisconnected("gone"))
    assert is_temporary(smtplib.SMTPSenderRefused(421, b"busy", "a@b.c"))
    assert not is_temporary(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    assert not is_temporary(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"unknown")}))
    assert is_temporary(smtplib.SMTPRecipientsRefused({"a@b.c": (452, b"full")}))


def test_the_password_never_shows_in_the_config_repr() -> None:
    config = SmtpConfig("h", 25, user="u", password="s3cret-pw")
    assert "s3cret-pw" not in repr(config)


def test_an_unreachable_server_is_told_apart_from_a_busy_one() -> None:
    refused = deliver(None, CONFIG, send=FakeServer(0, 0, 0, 0), sleep=lambda _: None)  # type: ignore[arg-type]
    assert not refused.sent and refused.unreachable
    busy = deliver(None, CONFIG, send=FakeServer(0, 451, 0, 0), sleep=lambda _: None)  # type: ignore[arg-type]
    assert not busy.sent and not busy.unreachable
