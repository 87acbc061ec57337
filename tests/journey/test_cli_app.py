"""journey.cli_app.user_errors: how an error ends a command."""

from __future__ import annotations

import errno

import polars as pl
import pytest
import typer

from journey.cli_app import user_errors


def _ended(exc: BaseException, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as ended, user_errors():
        raise exc
    return ended.value.exit_code, capsys.readouterr().err


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device", "/srv/cs/.journey/spill/1-0a1b2c3d/x"),
        pl.exceptions.ComputeError("io error: os error 28"),
    ],
)
def test_a_full_disk_is_said_plainly(exc: Exception, capsys: pytest.CaptureFixture[str]):
    code, err = _ended(exc, capsys)
    assert code == 1
    assert "the disk ran out of space" in err and "free some and run again" in err
    assert "bug" not in err
    if isinstance(exc, OSError):
        assert "writing /srv/cs/.journey/spill/1-0a1b2c3d/x" in err


def test_another_os_error_is_an_internal_error(capsys: pytest.CaptureFixture[str]):
    code, err = _ended(PermissionError(errno.EACCES, "Permission denied"), capsys)
    assert code == 1
    assert "internal error: PermissionError" in err
