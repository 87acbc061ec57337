"""Scratch folders: where a run sets data aside on disk while it lasts (the usage rows of a
batched full run, `journey.batches`; a large SQL result, `metrics.sql_adbc`).

They live under the project (`.journey/spill/`, on the disk next to the data rather than in a
temporary file system that may be memory), or where settings `large_runs.scratch_dir` says,
one folder per process named `<pid>-<8 hex digits>`. A run's folder is removed when the run
(`scratch_folder`) or the process (`process_scratch`) ends, however it ends; one left by a
killed process is removed by the next that makes one. Nothing else in the folder is touched.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from journey.config import Config
from journey.errors import ExitCode, JourneyError


def scratch_root(config: Config) -> Path:
    """Where a run of `config` makes its scratch folders (settings `large_runs.scratch_dir`)."""
    configured = config.settings.large_runs.scratch_dir
    if configured is None:
        return spill_root(config.root)
    return config.resolve(configured, "large_runs.scratch_dir")


def spill_root(project: Path) -> Path:
    return project / ".journey" / "spill"


@contextmanager
def scratch_folder(root: Path) -> Iterator[Path]:
    """A new, empty folder for this process under `root`, removed on the way out."""
    folder = _new_folder(root)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SCRATCH_NAME = re.compile(r"(\d+)-[0-9a-f]{8}")


#: This process's scratch folders (`process_scratch`), by root.
_HELD: dict[Path, Path] = {}


def process_scratch(config: Config) -> Path:
    """A scratch folder of this process under `scratch_root(config)`, for files that must
    last as long as a lazy frame does (a large SQL result's, `metrics.sql_adbc`): made on
    first use, removed when the process ends, or by the next run if it is killed."""
    root = scratch_root(config)
    if root not in _HELD:
        folder = _new_folder(root)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _HELD[root] = folder
    return _HELD[root]


def _new_folder(root: Path) -> Path:
    """A new folder of this process under `root`, after removing those of ended processes."""
    remove_leftovers(root)
    folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ScratchFolderError(
            f"cannot make a scratch folder in {folder.parent}: {exc.strerror or exc}. A large "
            "run sets data aside there while it runs; make it writable or set "
            "large_runs.scratch_dir in config/settings.yaml"
        ) from None
    return folder


def remove_leftovers(root: Path) -> None:
    """Remove the scratch folders (named `<pid>-<8 hex digits>`) of processes that no longer
    run (killed before they could); anything else in `root` is left alone, since a configured
    scratch_dir may be shared."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        named = _SCRATCH_NAME.fullmatch(folder.name)
        if named and folder.is_dir() and not _running(int(named.group(1))):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class ScratchFolderError(JourneyError):
    """The scratch folder cannot be made (exit 1, the machine's)."""

    exit_code = ExitCode.INTERNAL


class ScratchSpaceError(JourneyError):
    """No room on disk for the usage rows a batched run sets aside (exit 1, as for a store
    that cannot be used: the machine, not the data or the config)."""

    exit_code = ExitCode.INTERNAL
