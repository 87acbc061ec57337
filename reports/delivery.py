"""SMTP delivery with bounded retries (DESIGN §10). The only network code of `reports`.

A temporary failure — a 4xx reply or a connection problem — is retried with exponential
backoff (``backoff_seconds * 2**(attempt-1)``) up to ``attempts`` tries; a permanent failure
(5xx) is not retried. Credentials are passed in by the caller (from JOURNEY_SMTP_USER /
JOURNEY_SMTP_PASSWORD) and never appear in a result or a log line.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send. `password` is excluded from repr so it never reaches a log."""

    host: str
    port: int
    security: Security = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_seconds: float = 30.0
    attempts: int = 4
    backoff_seconds: float = 2.0


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one message."""

    sent: bool
    attempts: int
    error: str | None = None  # the last failure, e.g. "550 mailbox unavailable"
    permanent: bool = False
    unreachable: bool = False  # every attempt failed to reach the server at all


def _code_of(exc: BaseException) -> int | None:
    """The SMTP reply code an exception carries, if any."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        # Every refusal temporary -> temporary; any permanent refusal -> permanent.
        return max(codes) if codes else None
    code = getattr(exc, "smtp_code", None)
    return code if isinstance(code, int) else None


def describe(exc: BaseException) -> str:
    """A one-line description of a delivery failure (no credentials are ever in it)."""
    code = _code_of(exc)
    detail = getattr(exc, "smtp_error", b"")
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(
            f"{rcpt}: {c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}"
            for rcpt, (c, m) in exc.recipients.items()
        )
    text = f"{code} {detail}".strip() if code else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:500]


def is_temporary(exc: BaseException) -> bool:
    """Retry 4xx replies and connection problems; never 5xx or authentication failures."""
    code = _code_of(exc)
    if code is not None:
        return 400 <= code < 500
    return isinstance(
        exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | OSError
    )


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "ssl":
        return smtplib.SMTP_SSL(
            config.host,
            config.port,
            timeout=config.timeout_seconds,
            context=ssl.create_default_context(),
        )
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    if config.security == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def send_once(message: EmailMessage, config: SmtpConfig) -> None:
    """One SMTP session that sends `message`; raises on any failure."""
    client = _connect(config)
    try:
        if config.user:
            client.login(config.user, config.password or "")
        client.send_message(message)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def deliver(
    message: EmailMessage,
    config: SmtpConfig,
    *,
    send: Callable[[EmailMessage, SmtpConfig], None] = send_once,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send `message`, retrying temporary failures with exponential backoff."""
    attempts = max(1, config.attempts)
    error: str | None = None
    unreachable = True
    for attempt in range(1, attempts + 1):
        try:
            send(message, config)
            return DeliveryResult(sent=True, attempts=attempt)
        except (smtplib.SMTPException, OSError) as exc:
            error = describe(exc)
            unreachable = unreachable and _code_of(exc) is None
            if not is_temporary(exc):
                return DeliveryResult(sent=False, attempts=attempt, error=error, permanent=True)
        if attempt < attempts:
            sleep(config.backoff_seconds * 2 ** (attempt - 1))
    return DeliveryResult(sent=False, attempts=attempts, error=error, unreachable=unreachable)
