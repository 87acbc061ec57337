"""`run.py --commands`: what CS ops run against a night's results, timed at the benchmark's size.

After a full run into a fresh store, each command runs as `journey ...` does, in its own
process (wall time, CPU, peak memory), `--repeat` times, and is printed with its share of that
full run — the night's own work is the yardstick a team feels: a status that takes a tenth of
the night is slow, whatever a peer does.

- `journey status`, `journey export --format csv`, `journey report` read the stored results.
- `journey segments diff --against config` compares the config with itself (its results are
  the stored ones), and `--against proposed` with a proposal that changes one segment rule
  (the enterprise segment from 1,000 employees down to 500), which moves accounts to another
  journey: those are evaluated again under it. How many it moves is printed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

#: The rule the proposal changes, as the repository's config/segments.yaml has it.
RULE = "{field: employees, gte: 1000}"
PROPOSED_RULE = "{field: employees, gte: 500}"


def proposal(project: Path) -> Path:
    """`project/proposed/`: the project's config with one segment rule changed."""
    proposed = project / "proposed"
    shutil.rmtree(proposed, ignore_errors=True)
    shutil.copytree(project / "config", proposed)
    segments = proposed / "segments.yaml"
    text = segments.read_text(encoding="utf-8")
    if RULE not in text:
        raise SystemExit(f"{segments} has no rule {RULE}: update benchmarks/commands.py")
    segments.write_text(text.replace(RULE, PROPOSED_RULE), encoding="utf-8")
    return proposed


def command_lines(project: Path, as_of: dt.date) -> dict[str, list[str]]:
    """Each measured command's label and its arguments after `journey`."""
    config = ["--config", str(project / "config")]
    diff = ["segments", "diff", *config, "--as-of", as_of.isoformat(), "--format", "json"]
    return {
        "status": ["status", *config],
        "export (csv)": [
            "export",
            "--format",
            "csv",
            "--out",
            str(project / "export.csv"),
            *config,
        ],
        "report": ["report", "--out", str(project / "report"), *config],
        "diff, same config": [*diff, "--against", str(project / "config")],
        "diff, one rule": [*diff, "--against", str(proposal(project))],
    }


def moved(diff_json: str) -> int:
    """How many accounts a `segments diff --format json` moves to another journey."""
    return int(json.loads(diff_json)["summary"]["journey"])


def cli_main(args: list[str]) -> None:
    """What `journey ARGS` does (the worker of `run.py --commands`)."""
    import sys

    from journey.cli import main

    sys.argv = ["journey", *args]
    main()
