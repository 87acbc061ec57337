"""Progress shows on a terminal and stays silent under cron (stderr not a terminal)."""

from __future__ import annotations

import io

import pytest

from journey.progress_bar import interactive, step


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    with step("evaluating 2026-06-30", stream=stream):
        pass
    assert stream.getvalue() == ""


def test_a_terminal_gets_the_step_and_its_time(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("JOURNEY_NO_PROGRESS", raising=False)
    stream = _Terminal()
    with step("evaluating 2026-06-30", stream=stream):
        pass
    assert "evaluating 2026-06-30:" in stream.getvalue()
    assert stream.getvalue().rstrip().endswith("s")


def test_the_environment_can_turn_it_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JOURNEY_NO_PROGRESS", "1")
    assert not interactive(_Terminal())


def test_a_long_step_shows_its_details_on_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("JOURNEY_NO_PROGRESS", raising=False)
    stream = _Terminal()
    with step("evaluating 2026-06-30", stream=stream) as say:
        say("accounts batch 1 of 2")
        say("accounts batch 2 of 2")
    shown = stream.getvalue()
    assert shown.index("accounts batch 1 of 2, at ") < shown.index("accounts batch 2 of 2")
    assert shown.index("accounts batch 2 of 2") < shown.index("evaluating 2026-06-30:")


def test_details_are_silent_when_not_a_terminal():
    stream = io.StringIO()
    with step("evaluating 2026-06-30", stream=stream) as say:
        say("accounts batch 1 of 2")
    assert stream.getvalue() == ""
