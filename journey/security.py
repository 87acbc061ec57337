"""Small security helpers shared by the store, the CLI and email delivery.

- `mask_secrets`: remove passwords from any text before it is logged or shown (URLs with a
  password, and the values of the secret environment variables).
- `reject_header_injection`: refuse CR/LF (and NUL) in values that go into email headers.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journey.config import Config

#: Environment variables whose values are secrets (DESIGN §10: secrets only from the env).
SECRET_ENV_VARS = ("JOURNEY_SMTP_PASSWORD", "JOURNEY_DATABASE_URL", "JOURNEY_SMTP_USER")
MASK = "***"

# scheme://user:password@host  ->  scheme://user:***@host. The password may hold anything but
# whitespace, even "@": the last "@" of the word ends it (greedy match, then backtrack).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^\s]*(?=@[^@\s]*)")
_KEYWORD_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)=([^\s&'\"]+)")


def _env_secrets() -> list[str]:
    values = []
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name, "")
        if name == "JOURNEY_DATABASE_URL":
            match = re.search(r"://[^:/@\s]*:([^\s]+)@", value)
            value = match.group(1) if match else ""
        if len(value) >= 4 and name != "JOURNEY_SMTP_USER":
            values.append(value)
    return values


def mask_secrets(text: str) -> str:
    """`text` with URL passwords, `password=...` pairs and secret env values masked."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    masked = _KEYWORD_PASSWORD.sub(lambda m: f"{m.group(1)}={MASK}", masked)
    for secret in sorted(_env_secrets(), key=len, reverse=True):
        masked = masked.replace(secret, MASK)
    return masked


def reject_header_injection(value: str, what: str = "header value") -> str:
    """`value` unchanged, or ValueError if it holds CR, LF or NUL (email header injection)."""
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{what} {value[:40]!r} contains a line break; refusing to use it")
    return value


def confine_sources(config: Config) -> None:
    """ConfigError (exit 3) when a configured source path points outside the project folder.

    Absolute paths are allowed as written (the operator chose them); relative ones, globs
    included, must stay inside the folder that holds config/.
    """
    sources = config.settings.sources
    for name in ("accounts", "events", "daily"):
        spec = getattr(sources, name)
        if spec is not None and spec.path is not None:  # SQL sources have no path
            config.resolve(spec.path, f"sources.{name}.path")
