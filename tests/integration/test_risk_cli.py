"""`journey risk ...` and `journey segments suggest` driven in-process on a small demo project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journey.cli import app
from journey.commands.demo import example_config_dir
from journey.config import load_config
from journey.demo_data import generate_accounts, generate_events, write_demo_data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 demo accounts with the example config (no run needed: risk reads the sources)."""
    root = tmp_path_factory.mktemp("risk-demo")
    shutil.copytree(example_config_dir(), root / "config")
    accounts = generate_accounts(400, seed=11)
    write_demo_data(root / "data", accounts, generate_events(accounts, seed=11))
    return root / "config"


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_risk_evaluate_prints_model_baselines_and_a_verdict(demo: Path) -> None:
    code, out, err = _invoke("risk", "evaluate", "--config", str(demo))
    assert code == 0, err
    assert "no look-ahead: the last training label is from" in out
    for row in ("model", "baseline: behind pace on next milestone", "chance (no skill)"):
        assert f"\n  {row} " in out
    assert "ROC AUC" in out and "top-5 per CSM" in out
    assert out.strip().splitlines()[-1].startswith("Verdict: the model")


def test_risk_score_json_lists_probabilities_and_drivers(demo: Path) -> None:
    code, out, err = _invoke("risk", "score", "--config", str(demo), "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows, "the demo always has accounts at risk"
    assert rows == sorted(rows, key=lambda r: -r["risk_probability"])
    assert all(r["risk_probability"] >= 0.5 and r["risk_drivers"] for r in rows)


def test_risk_score_after_a_night_uses_what_it_kept_and_says_the_same(
    demo: Path, tmp_path: Path
) -> None:
    """After the nightly run of the day, `risk score` takes the metric history and the model
    from what that run kept (no usage read, no fit) and prints what a fit prints."""
    as_of = "2026-06-30"
    code, fitted, err = _invoke("risk", "score", "--config", str(demo), "--format", "json")
    assert code == 0, err
    assert "risk: metric history read from the usage data" in err and "(fitted now)" in err
    project = tmp_path / "project"
    shutil.copytree(demo.parent, project)
    code, _, err = _invoke("run", "--config", str(project / "config"), "--as-of", as_of)
    assert code == 0, err
    args = ("risk", "score", "--config", str(project / "config"), "--format", "json")
    code, out, err = _invoke(*args)
    assert code == 0, err
    assert f"risk: metric history as the {as_of} nightly run kept it" in err
    assert "(kept by the nightly run)" in err
    assert json.loads(out) == json.loads(fitted)
    code, _, err = _invoke(*args, "--horizon", "21")  # another model than the night's
    assert code == 0, err
    assert f"metric history as the {as_of} nightly run kept it" in err and "(fitted now)" in err
    # `risk evaluate` fits its own models, on the history the night kept.
    code, read, err = _invoke("risk", "evaluate", "--config", str(demo))
    assert code == 0 and "history read from the usage data" in err, err
    code, out, err = _invoke("risk", "evaluate", "--config", str(project / "config"))
    assert code == 0 and f"history as the {as_of} nightly run kept it" in err, err
    assert out == read


def test_risk_train_writes_the_training_set(demo: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "training.parquet"
    code, out, err = _invoke("risk", "train", "--config", str(demo), "--out", str(out_file))
    assert code == 0, err
    assert "rows from" in out and out_file.exists()


def test_risk_with_too_little_history_is_a_data_error(demo: Path) -> None:
    code, _, err = _invoke("risk", "evaluate", "--config", str(demo), "--as-of", "2026-01-05")
    assert code == 4
    assert "error:" in err and "Traceback" not in err


def test_bad_as_of_is_a_usage_error(demo: Path) -> None:
    code, _, _ = _invoke("risk", "score", "--config", str(demo), "--as-of", "yesterday")
    assert code == 2


def test_segments_suggest_describes_clusters_by_outcome(demo: Path) -> None:
    code, out, err = _invoke("segments", "suggest", "--config", str(demo), "--days", "21")
    assert code == 0, err
    assert "behaviour_1 (most engaged)" in out
    assert "outcomes today:" in out and "Adjusted Rand index" in out
    assert "precision" in out and "coverage" in out


def test_segments_suggest_yaml_is_a_valid_segments_file(demo: Path, tmp_path: Path) -> None:
    code, out, err = _invoke(
        "segments", "suggest", "--config", str(demo), "--clusters", "3", "--format", "yaml"
    )
    assert code == 0, err
    config_dir = tmp_path / "config"
    shutil.copytree(demo, config_dir)
    (config_dir / "segments.yaml").write_text(out, encoding="utf-8")
    config = load_config(config_dir)
    groups = {s.id.rsplit("_", 1)[0] for s in config.segments}
    assert groups <= {"behaviour_1", "behaviour_2", "behaviour_3"} and len(groups) >= 2


def test_risk_commands_default_to_the_settings_of_the_nightly_run(
    demo: Path, tmp_path: Path
) -> None:
    """--horizon and --threshold default to settings' risk.horizon_days and risk.threshold:
    `risk score` shows what the night flagged, with the night's model."""
    project = tmp_path / "project"
    shutil.copytree(demo.parent, project)
    settings = project / "config" / "settings.yaml"
    settings.write_text(settings.read_text() + "risk: {horizon_days: 21, threshold: 0.6}\n")
    config = str(project / "config")
    code, _, err = _invoke("run", "--config", config, "--as-of", "2026-06-30")
    assert code == 0, err
    code, out, err = _invoke("risk", "score", "--config", config, "--format", "json")
    assert code == 0 and "(kept by the nightly run)" in err, err
    rows = json.loads(out)
    assert rows and all(r["risk_probability"] >= 0.6 for r in rows)
    code, out, err = _invoke("risk", "score", "--config", config, "--horizon", "14")
    assert code == 0 and "(fitted now)" in err, err
    assert "Risk of turning off track within 14 days" in out and ">= 0.60" in out
    code, out, err = _invoke("risk", "evaluate", "--config", config)
    assert code == 0, err
    assert "which turn off track within 21 days?" in out
