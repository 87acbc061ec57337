"""Progress on long work, for a person at a terminal; silence under cron.

    with step("evaluating 50,000 accounts"):
        evaluation = evaluate(config, as_of)

shows a spinner with the step and its elapsed time on stderr while the block runs, and
leaves one line with the time it took — but only when stderr is a terminal. In cron, CI or a
pipe nothing is printed, so logs stay clean. A run is a few big polars calls, not a loop
with a known length, so steps with elapsed time say more than a percentage could.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


def interactive(stream: TextIO | None = None) -> bool:
    """Whether progress should show: stderr is a terminal and JOURNEY_NO_PROGRESS is unset."""
    stream = stream or sys.stderr
    if os.environ.get("JOURNEY_NO_PROGRESS"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _quiet(detail: str) -> None:
    """What `step` hands a block when progress does not show."""


@contextmanager
def step(description: str, stream: TextIO | None = None) -> Iterator[Callable[[str], None]]:
    """Show `description` with a spinner while the block runs (terminals only).

    The block gets a function that shows a line of detail under the step as it goes (a
    batch of a long step, say): `with step("evaluating") as say: ... say("batch 2 of 5")`.
    """
    stream = stream or sys.stderr
    if not interactive(stream):
        yield _quiet
        return
    from rich.console import Console  # a terminal only: cron never loads it

    console = Console(file=stream, stderr=stream is sys.stderr)
    began = time.perf_counter()

    def say(detail: str) -> None:
        elapsed = time.perf_counter() - began
        console.print(f"    {detail}, at {elapsed:.1f} s", highlight=False)

    with console.status(f"{description} ..."):
        yield say
    console.print(f"  {description}: {time.perf_counter() - began:.1f} s", highlight=False)
