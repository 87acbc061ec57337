"""CLI commands; each module registers its commands on `journey.cli_app.app`."""
