"""Sources: CSV and Parquet, single files and globs, column mapping, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from metrics import usage
from metrics.accounts import conform_accounts
from metrics.errors import InputError
from metrics.sources import SourceSpec, check_utf8, scan
from metrics.usage import conform_events


def test_parquet_glob_and_column_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "events"
    folder.mkdir(parents=True)
    for month in (1, 2):
        pl.DataFrame(
            {
                "customer": ["a"],
                "ts": [dt.datetime(2026, month, 5, 10, tzinfo=dt.UTC)],
                "event": ["login"],
            }
        ).write_parquet(folder / f"2026-0{month}.parquet")
    spec = SourceSpec(
        path="data/events/*.parquet", columns={"account_id": "customer", "timestamp": "ts"}
    )
    frame = scan(spec, tmp_path, "events").collect()
    assert frame.columns == ["account_id", "timestamp", "event"]
    assert frame.height == 2


def test_csv_accounts_are_typed_and_bad_rows_quarantined(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(
        "account_id,name,start_date,csm_email,arr\n"
        "A1,Acme,2026-01-01,ana@example.com,1000\n"
        "A1,Acme again,2026-01-02,ana@example.com,1000\n"
        "A2,Beta,not a date,ana@example.com,\n"
        ",Nameless,2026-01-01,ana@example.com,\n"
        "A3,Gamma,2026/01/03,bo@example.com,n/a\n",
        encoding="utf-8",
    )
    accounts, quarantine = conform_accounts(scan(SourceSpec(path="accounts.csv"), tmp_path, "a"))
    assert accounts["account_id"].to_list() == ["A1", "A3"]
    assert accounts["start_date"].to_list() == [dt.date(2026, 1, 1), dt.date(2026, 1, 3)]
    assert accounts["arr"].to_list() == [1000.0, None]
    reasons = {q.reason.split(" (")[0]: q.rows for q in quarantine}
    assert reasons == {
        "empty account_id": 1,
        "start_date missing or not a date": 1,
        "duplicate account_id": 1,
        "arr is not a number": 1,
    }
    assert "'not a date'" in next(q.describe() for q in quarantine if "start_date" in q.reason)


def test_missing_file_names_the_source_and_pattern(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"source `events`: no file matches 'data/\*.parquet'"):
        scan(SourceSpec(path="data/*.parquet"), tmp_path, "events")


def test_missing_required_column_lists_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("id,name\nA1,Acme\n", encoding="utf-8")
    frame = scan(SourceSpec(path="accounts.csv"), tmp_path, "accounts")
    with pytest.raises(InputError) as error:
        conform_accounts(frame)
    message = str(error.value)
    assert "missing required column(s) account_id, start_date, csm_email" in message
    assert "columns are: id, name" in message


def test_mapped_column_absent_from_the_source(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text("account_id,when,event\n", encoding="utf-8")
    spec = SourceSpec(path="e.csv", columns={"timestamp": "ts"})
    with pytest.raises(InputError, match="mapped column"):
        scan(spec, tmp_path, "events")


def test_events_quarantine_unknown_accounts_and_bad_timestamps() -> None:
    events = pl.LazyFrame(
        {
            "account_id": ["a", "zzz", "a", None],
            "timestamp": ["2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z", "yesterday", "x"],
            "event": ["login"] * 4,
        }
    )
    known = pl.LazyFrame({"account_id": ["a"]})
    clean, counts = conform_events(events, known, "Europe/Berlin")
    assert clean.collect()["day"].to_list() == [dt.date(2026, 1, 1)]
    rows = dict(counts.collect().select("reason", "rows").iter_rows())
    assert rows == {
        "account_id not in the accounts source": 1,
        "timestamp missing or unparseable": 1,
        "empty account_id": 1,
    }


@pytest.mark.parametrize("apart", [True, False])
def test_usage_rows_find_their_account_whether_joined_on_id_hashes_or_on_ids(
    monkeypatch: pytest.MonkeyPatch, apart: bool
) -> None:
    """The account join runs on the ids' hashes unless two known ids share one (forced here);
    either way each row gets its own account's columns and unknown or empty ids get none."""
    monkeypatch.setattr(usage, "_hashes_apart", lambda *_: apart)
    events = pl.LazyFrame(
        {
            "account_id": ["b", "zzz", "a", None, "b", ""],
            "timestamp": ["2026-01-01T10:00:00Z"] * 6,
            "event": ["login"] * 6,
        }
    )
    known = pl.LazyFrame({"account_id": ["a", "b", "c"], "place": [10, 20, 30]})
    typed = usage.type_events(events, "UTC")
    tagged = usage.tag_usage("events", typed, known).collect()
    got = sorted(
        zip(tagged["account_id"], tagged["place"], tagged[usage.REASON], strict=True), key=repr
    )
    assert got == sorted(
        [
            ("b", 20, None),
            ("zzz", None, 2),
            ("a", 10, None),
            (None, None, 0),
            ("b", 20, None),
            ("", None, 2),
        ],
        key=repr,
    )
    assert "__id_hash" not in tagged.columns


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64, 1 << 20])
def test_utf8_text_passes_whatever_the_chunks_cut(tmp_path: Path, chunk_size: int) -> None:
    path = tmp_path / "names.csv"
    path.write_text("id,name\n" + "a,plain\n" * 9 + "b,Zoë Ærø 東京 🙂\n" + "c,x\n" * 3)
    check_utf8(path, "accounts", chunk_size)


@pytest.mark.parametrize("chunk_size", [1, 3, 4, 16, 1 << 20])
@pytest.mark.parametrize(
    ("bad", "shown"),
    [(b"\xe9", b"\xe9,x\n"), (b"\xc3(", b"\xc3(,x"), (b"\xf0\x9f\x99", b"\xf0\x9f\x99,")],
)
def test_a_byte_that_is_not_utf8_is_named_with_its_line_and_offset(
    tmp_path: Path, chunk_size: int, bad: bytes, shown: bytes
) -> None:
    path = tmp_path / "names.csv"
    before = b"id,name\n" + "a,Zoë\n".encode() * 4 + b"b,"
    path.write_bytes(before + bad + b",x\n" + b"c,ok\n" * 3)
    with pytest.raises(InputError) as raised:
        check_utf8(path, "accounts", chunk_size)
    assert str(raised.value) == (
        f"source `accounts`: names.csv is not UTF-8 text: byte(s) {shown!r} on line 6 "
        f"(byte offset {len(before)}). Save or export the file as UTF-8 (in Excel: CSV UTF-8)."
    )


def test_a_character_cut_short_at_the_end_of_the_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes(b"id,name\na,ok\nb,caf\xc3")
    with pytest.raises(InputError, match=r"byte\(s\) b'\\xc3' on line 3 \(byte offset 18\)"):
        check_utf8(path, "accounts", 4)
