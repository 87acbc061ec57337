"""The `journey` command line. Commands live in journey/commands/; this wires them up."""

from __future__ import annotations

from journey.cli_app import app
from journey.commands import (  # noqa: F401  (registers commands)
    check,
    config_tools,
    demo,
    doctor,
    explain,
    output,
    risk,
    run,
    send,
    session,
    snooze,
    status,
    suggest,
)
from journey.ending import exit_quickly


def main() -> None:
    try:
        app()
    finally:
        exit_quickly()


if __name__ == "__main__":
    main()
