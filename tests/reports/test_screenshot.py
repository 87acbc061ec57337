"""A headless Chromium screenshot of the report as sent (CSS inlined): it renders, it is
not blank, and it has the size asked for. Skipped only when chromium is not installed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import polars as pl
import pytest
from report_week import AS_OF

from reports.email import inline_css
from reports.render import render_html
from reports.weekly import build_report_set

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 760, 1600

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


def screenshot(html: str, tmp_path: Path, name: str) -> Path:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / f"{name}.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / f'profile-{name}'}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    return png


def png_facts(path: Path) -> tuple[int, int, float]:
    """(width, height, share of non-zero bytes in the filtered image data).

    A blank page filters to (almost) all zeros; drawn text, colours and borders do not.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, 1 - raw.count(0) / len(raw)


def test_report_screenshot_is_not_blank(week: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    rs = build_report_set(
        week["accounts"],
        week["milestones"],
        as_of=AS_OF,
        trends=week["trends"],
        commitments=week["commitments"],
        snoozes=week["snoozes"],
    )
    report = screenshot(inline_css(render_html(rs.reports[0])), tmp_path, "report")
    blank = screenshot("<!DOCTYPE html><html><body></body></html>", tmp_path, "blank")

    width, height, ink = png_facts(report)
    assert (width, height) == (WIDTH, HEIGHT)
    _, _, blank_ink = png_facts(blank)
    assert blank_ink < 0.01  # the measure works: an empty page is (nearly) all zeros
    assert ink > 0.05 and ink > 10 * blank_ink
    assert report.stat().st_size > 5 * blank.stat().st_size
