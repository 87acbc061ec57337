"""journey.scratch: scratch folders go away however a run or a process ends, and leave what
else is in their root alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from journey.errors import ExitCode
from journey.scratch import ScratchFolderError, process_scratch, scratch_folder, spill_root
from support import ProjectFactory


def test_the_folder_is_removed_after_use_and_after_an_error(tmp_path: Path) -> None:
    with scratch_folder(spill_root(tmp_path)) as folder:
        (folder / "events").mkdir()
        (folder / "events" / "rows.parquet").write_bytes(b"rows")
        assert folder.parent == spill_root(tmp_path)
    assert not folder.exists()
    with pytest.raises(RuntimeError), scratch_folder(spill_root(tmp_path)) as folder:
        (folder / "rows.parquet").write_bytes(b"rows")
        raise RuntimeError("the run failed half-way")
    assert not folder.exists()


def _ended_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_a_killed_process_folder_is_removed_and_a_running_one_and_others_kept(
    tmp_path: Path,
) -> None:
    root = spill_root(tmp_path)
    killed = root / f"{_ended_pid()}-0a1b2c3d"
    stray = root / "not-a-scratch-folder"
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        running = root / f"{alive.pid}-4e5f6a7b"
        for folder in (killed, stray, running):
            folder.mkdir(parents=True)
            (folder / "rows.parquet").write_bytes(b"rows")
        with scratch_folder(root) as mine:
            names = [running.name, mine.name, stray.name]
            assert sorted(p.name for p in root.iterdir()) == sorted(names)
        # Only scratch folders go: a configured scratch_dir may hold other things.
        assert sorted(p.name for p in root.iterdir()) == sorted([running.name, stray.name])
    finally:
        alive.kill()
        alive.wait()


def test_a_scratch_folder_that_cannot_be_made_is_said_plainly(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ScratchFolderError) as raised, scratch_folder(tmp_path / "a-file" / "x"):
        pytest.fail("no folder was made")
    assert "cannot make a scratch folder in" in str(raised.value)
    assert "large_runs.scratch_dir" in str(raised.value)
    assert raised.value.exit_code == ExitCode.INTERNAL


def test_a_process_folder_lasts_as_long_as_the_process(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project = make_project(
        milestones="- {id: first_login, due_day: 3, when: {metric: logins, gte: 1}}\n"
    )
    config = project.config()
    assert process_scratch(config) == process_scratch(config)  # one per process and root
    assert process_scratch(config).parent == spill_root(project.root)
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from journey.config import load_config
        from journey.scratch import process_scratch
        folder = process_scratch(load_config(Path({str(project.config_dir)!r})))
        (folder / "rows.parquet").write_bytes(b"rows")
        print(folder)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    folder = Path(done.stdout.strip())
    assert folder.parent == spill_root(project.root)
    assert not folder.exists()  # removed as the process ended
