"""`coalition-bot backup`, `export` and `stats` on a seeded database."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

import storage.backup
from bot.app.cli import Progress, main
from storage.backup import backup
from storage.database import SqliteDatabase
from storage.deliveries import DeliveryRepository, Outcome, Result
from storage.schema import migrate

NOW = datetime.now(UTC)
PRIVATE = "CASE-4711 safe address Lindenstr. 9"
HIDDEN_VENUE = "Back room of the Kaffeehaus Morgenrot"
PUBLIC_VENUE = "Alexanderplatz, by the clock"
AUTHOR_ID = 777_000_123
HELPER_ID = 777_000_456
HELPER_MESSAGE = "I am a lawyer in Tbilisi, write me"
PENDING_ORG = "Quiet Applicants Circle"
SUSPENDED_ORG = "Suspended Friends Union"


def _at(**delta: float) -> str:
    return (NOW + timedelta(**delta)).isoformat()


@pytest.fixture
def database_path(tmp_path, monkeypatch):
    path = tmp_path / "bot.db"
    monkeypatch.setenv("DATABASE_PATH", str(path))

    async def create() -> None:
        database = SqliteDatabase(path)
        await database.open()
        try:
            await migrate(database)
        finally:
            await database.close()

    asyncio.run(create())
    return path


def _seed(path) -> None:
    """A small coalition: every kind of row, with private things the exports must leave out."""
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (tg_id, is_active, created_at) VALUES (?, ?, ?)",
            [(AUTHOR_ID, 1, _at()), (HELPER_ID, 1, _at()), (5, 1, _at()), (6, 0, _at()),
             (7, 0, _at())])
        db.executemany(
            "INSERT INTO organisations (id, name, name_key, description, country, city, website, "
            "status, applicant_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(1, "Free Voices Berlin", "free voices berlin", "Legal aid", "DE", "Berlin",
              "https://free.example", "approved", AUTHOR_ID, _at(days=-30)),
             (2, "Tbilisi Shelter", "tbilisi shelter", "", "GE", None, None, "approved",
              AUTHOR_ID, _at(days=-20)),
             (3, PENDING_ORG, "quiet", "", "LT", None, None, "pending", 5, _at()),
             (4, SUSPENDED_ORG, "suspended", "", "PL", None, None, "suspended", 5, _at()),
             (5, "Rejected Ones", "rejected", "", "PL", None, None, "rejected", 5, _at())])
        db.executemany(
            "INSERT INTO needs (id, org_id, author_id, title, description, private_details, "
            "category, urgency, country, city, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(1, 1, AUTHOR_ID, "Lawyer for a prisoner", "Appeal hearing", PRIVATE, "legal",
              "critical", "DE", "Berlin", "open", _at(days=-2), _at(days=-2)),
             (2, 1, AUTHOR_ID, "Translators", "Russian to German", None, "translation",
              "normal", "online", None, "open", _at(days=-1), _at(days=-1)),
             (3, 2, None, "Housing for a deserter", "Two weeks", None, "housing", "urgent",
              "GE", "Tbilisi", "fulfilled", _at(days=-9), _at(days=-3)),
             (4, 4, 5, "Suspended need", "Hidden", None, "money", "critical", "PL", None,
              "open", _at(), _at())])
        db.execute(
            "INSERT INTO offers (need_id, helper_id, message, username, created_at) "
            "VALUES (1, ?, ?, 'helper_handle', ?)", (HELPER_ID, HELPER_MESSAGE, _at()))
        db.execute(
            "INSERT INTO campaigns (id, title, starts_on, ends_on, created_by, created_at) "
            "VALUES (1, 'Returning the Names', '2026-10-29', '2026-10-29', ?, ?)",
            (AUTHOR_ID, _at()))
        db.executemany(
            "INSERT INTO events (id, org_id, author_id, campaign_id, title, description, kind, "
            "starts_at, timezone, country, city, venue, disclosure, disclose_hours, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'Europe/Berlin', 'DE', "
            "'Berlin', ?, ?, ?, ?, ?, ?)",
            [(1, 1, AUTHOR_ID, 1, "Reading of names", "Bring candles", "commemoration",
              _at(days=3), PUBLIC_VENUE, "public", None, "scheduled", _at(), _at()),
             (2, 1, AUTHOR_ID, None, "Closed meeting", "Members only", "meeting", _at(days=5),
              HIDDEN_VENUE, "going", None, "scheduled", _at(), _at()),
             (3, 2, AUTHOR_ID, None, "Concert", "Fundraiser", "fundraiser", _at(days=1),
              HIDDEN_VENUE, "going_before", 3, "scheduled", _at(), _at()),
             (4, 1, AUTHOR_ID, None, "Last year's rally", "Past", "rally", _at(days=-3),
              PUBLIC_VENUE, "public", None, "scheduled", _at(), _at()),
             (5, 1, AUTHOR_ID, None, "Called off", "Cancelled", "rally", _at(days=4),
              PUBLIC_VENUE, "public", None, "cancelled", _at(), _at()),
             (6, 4, 5, None, "Suspended event", "Hidden", "rally", _at(days=4),
              PUBLIC_VENUE, "public", None, "scheduled", _at(), _at())])
        db.execute("INSERT INTO rsvps (event_id, tg_id, answer, answered_at) "
                   "VALUES (2, ?, 'going', ?)", (HELPER_ID, _at()))
        db.executemany("INSERT INTO subscriptions (tg_id, created_at) VALUES (?, ?)",
                       [(AUTHOR_ID, _at()), (5, _at()), (6, _at())])
        db.executemany(
            "INSERT INTO broadcasts (kind, audience, text, status, created_at, not_before, "
            "total, sent, blocked, failed) VALUES (?, 'everyone', 'x', 'done', ?, ?, ?, ?, ?, ?)",
            [("announcement", _at(days=-1), _at(days=-1), 100, 90, 7, 3),
             ("digest", _at(days=-6), _at(days=-6), 50, 50, 0, 0),
             ("announcement", _at(days=-8), _at(days=-8), 1000, 990, 10, 0)])


def _absent_everywhere(output: str) -> None:
    for private in (PRIVATE, HIDDEN_VENUE, str(AUTHOR_ID), str(HELPER_ID), HELPER_MESSAGE,
                    "helper_handle", PENDING_ORG, SUSPENDED_ORG, "Suspended need",
                    "private_details", "author_id", "applicant_id"):
        assert private not in output


# --- export ------------------------------------------------------------------------------------


def test_export_json_holds_public_fields_and_nothing_private(database_path, capsys) -> None:
    _seed(database_path)
    assert main(["export", "--all"]) == 0
    output = capsys.readouterr().out
    _absent_everywhere(output)
    document = json.loads(output)
    assert [org["name"] for org in document["organisations"]] == [
        "Free Voices Berlin", "Tbilisi Shelter"]
    assert document["organisations"][0] == {
        "id": 1, "name": "Free Voices Berlin", "description": "Legal aid", "country": "DE",
        "city": "Berlin", "website": "https://free.example", "created_at": _at(days=-30)}
    assert [need["id"] for need in document["needs"]] == [1, 2, 3]
    need = document["needs"][0]
    assert (need["title"], need["organisation"], need["urgency"], need["status"]) == (
        "Lawyer for a prisoner", "Free Voices Berlin", "critical", "open")
    assert "private_details" not in need
    events = {event["id"]: event for event in document["events"]}
    assert sorted(events) == [1, 2, 3, 4, 5]
    assert events[1]["venue"] == PUBLIC_VENUE and events[1]["campaign"] == "Returning the Names"
    assert events[2]["venue"] is None and events[2]["disclosure"] == "going"
    assert events[3]["venue"] is None and events[3]["disclosure"] == "going_before"
    assert document["schema_version"] >= 6


def test_export_leaves_out_what_a_coordinator_hid(database_path, capsys) -> None:
    _seed(database_path)
    with sqlite3.connect(database_path) as db:
        for table in ("needs", "events"):
            db.execute(f"UPDATE {table} SET hidden_at = ?, hidden_reason = 'Spam' WHERE id = 2",
                       (_at(),))
    assert main(["export", "--all"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [need["id"] for need in document["needs"]] == [1, 3]
    assert sorted(event["id"] for event in document["events"]) == [1, 3, 4, 5]


def test_export_csv_one_file_with_a_table_column(database_path, tmp_path, capsys) -> None:
    _seed(database_path)
    assert main(["export", "--format", "csv", "--all"]) == 0
    output = capsys.readouterr().out
    _absent_everywhere(output)
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [row["table"] for row in rows] == ["organisations"] * 2 + ["needs"] * 3 + ["events"] * 5
    assert rows[2]["title"] == "Lawyer for a prisoner" and rows[2]["name"] == ""
    assert {row["venue"] for row in rows if row["table"] == "events"} == {PUBLIC_VENUE, ""}


def test_export_csv_to_a_folder_writes_one_file_per_table(database_path, tmp_path,
                                                          capsys) -> None:
    _seed(database_path)
    folder = tmp_path / "export"
    assert main(["export", "--format", "csv", "--all", "--output", f"{folder}/"]) == 0
    assert "exported 2 organisations, 3 needs, 5 events" in capsys.readouterr().err
    assert sorted(path.name for path in folder.iterdir()) == [
        "events.csv", "needs.csv", "organisations.csv"]
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        _absent_everywhere(text)
    needs = list(csv.DictReader(io.StringIO((folder / "needs.csv").read_text("utf-8"))))
    assert list(needs[0]) == ["id", "org_id", "organisation", "title", "description",
                              "category", "urgency", "country", "city", "deadline", "status",
                              "created_at", "updated_at"]
    assert len(needs) == 3


def test_export_json_to_a_file(database_path, tmp_path, capsys) -> None:
    _seed(database_path)
    target = tmp_path / "out" / "coalition.json"
    assert main(["export", "--all", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert len(json.loads(target.read_text(encoding="utf-8"))["events"]) == 5
    assert not list(target.parent.glob(".*partial"))


def test_export_by_default_holds_only_what_members_see_now(database_path, capsys) -> None:
    _seed(database_path)
    assert main(["export"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [org["name"] for org in document["organisations"]] == [
        "Free Voices Berlin", "Tbilisi Shelter"]
    assert [need["id"] for need in document["needs"]] == [1, 2]  # not the fulfilled one
    assert [event["id"] for event in document["events"]] == [1, 2, 3]  # not past, cancelled
    assert main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["table"] for row in rows] == ["organisations"] * 2 + ["needs"] * 2 + ["events"] * 3


FORMULAS = ("=HYPERLINK(\"https://evil.example\",\"Donate\")", "+49 30 1234", "-2+3",
            "@SUM(A1:A9)", "\t=1+1")


def test_export_csv_quotes_cells_a_spreadsheet_would_run(database_path, tmp_path,
                                                        capsys) -> None:
    _seed(database_path)
    with sqlite3.connect(database_path) as db:
        db.executemany(
            "INSERT INTO needs (org_id, title, description, category, urgency, country, city, "
            "status, created_at, updated_at) VALUES (1, ?, ?, 'other', 'normal', 'DE', ?, "
            "'open', ?, ?)",
            [(formula, formula, formula[:80], _at(), _at()) for formula in FORMULAS])
    folder = tmp_path / "export"
    assert main(["export", "--format", "csv", "--output", f"{folder}/"]) == 0
    needs = list(csv.DictReader(io.StringIO((folder / "needs.csv").read_text("utf-8"))))
    cells = [(row["title"], row["description"], row["city"]) for row in needs[2:]]
    assert cells == [(f"'{formula}",) * 3 for formula in FORMULAS]
    assert needs[0]["title"] == "Lawyer for a prisoner"
    assert main(["export", "--format", "csv"]) == 0
    tagged = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["title"] for row in tagged if row["table"] == "needs"][2:] == [
        f"'{formula}" for formula in FORMULAS]
    assert main(["export"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [need["title"] for need in document["needs"][2:]] == list(FORMULAS)


# --- stats -------------------------------------------------------------------------------------


def test_stats_match_the_seeded_data(database_path, capsys) -> None:
    _seed(database_path)
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["members"], figures["active_members"]) == (5, 3)
    assert figures["organisations"] == {
        "pending": 1, "approved": 2, "rejected": 1, "suspended": 1}
    # Open needs and upcoming events as members see them: not the suspended organisation's.
    assert (figures["open_needs"], figures["critical_needs"]) == (2, 1)
    assert figures["upcoming_events"] == 3
    assert figures["subscribers"] == 3
    # The broadcast of 8 days ago is outside the window.
    assert (figures["broadcasts"], figures["sent"], figures["blocked"], figures["failed"]) == (
        2, 140, 7, 3)
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "3 active (5 in all)" in text
    assert "1 pending, 2 approved, 1 rejected, 1 suspended" in text
    assert "140 sent, 7 blocked, 3 failed (2 broadcasts)" in text


def test_reports_refuse_a_missing_or_outdated_database(database_path, tmp_path, monkeypatch,
                                                       capsys) -> None:
    with sqlite3.connect(database_path) as db:
        db.execute("PRAGMA user_version = 3")
    assert main(["stats"]) == 1
    assert "schema version 3" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "absent.db"))
    for command in (["stats"], ["export"], ["backup", str(tmp_path / "copy.db")]):
        assert main(command) == 1
        assert "no database at" in capsys.readouterr().err


def test_help_of_each_operation() -> None:
    for command in ("backup", "export", "stats", "run", "copy-to-postgres"):
        result = subprocess.run([sys.executable, "-m", "bot", command, "--help"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0
        assert f"usage: coalition-bot {command}" in result.stdout


# --- backup ------------------------------------------------------------------------------------


def test_backup_prints_ok_and_sizes(database_path, tmp_path, capsys) -> None:
    _seed(database_path)
    target = tmp_path / "backups" / "coalition.db"
    assert main(["backup", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"backup ok: {database_path} (")
    assert "integrity_check ok" in captured.out and "pages" in captured.out
    # Not a terminal: no progress, only the warning that the copy is not encrypted.
    assert captured.err.startswith(f"coalition-bot: warning: {target} will not be encrypted")
    assert captured.err.count("\n") == 1 and "\r" not in captured.err
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM needs").fetchone()[0] == 4


def test_backup_of_something_not_a_database_fails(tmp_path, monkeypatch, capsys) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    monkeypatch.setenv("DATABASE_PATH", str(junk))
    target = tmp_path / "copy.db"
    assert main(["backup", str(target)]) == 1
    assert "backup failed" in capsys.readouterr().err
    assert not target.exists() and not list(tmp_path.glob(".*partial"))


RECIPIENTS = 6000


async def test_backup_mid_broadcast_restores_with_matching_counts(tmp_path, monkeypatch):
    """The broadcast commits batches of outcomes all through the backup; the copy is one
    consistent moment: every counter agrees with the delivery rows it counts."""
    path, target = tmp_path / "bot.db", tmp_path / "copy.db"
    database = SqliteDatabase(path)
    await database.open()
    await migrate(database)
    async with database.transaction() as connection:
        await connection.executemany(
            "INSERT INTO users (tg_id, created_at) VALUES (?, ?)",
            [(tg_id, _at()) for tg_id in range(1, RECIPIENTS + 1)])
    deliveries = DeliveryRepository(database)
    commits = 0
    stop, going = asyncio.Event(), asyncio.Event()

    async def broadcast() -> None:
        nonlocal commits
        await deliveries.create(kind="announcement", audience="everyone", text="Rally", now=NOW)
        while not stop.is_set():
            claim = await deliveries.claim(NOW, limit=20, lease=timedelta(minutes=5))
            results = (Result.SENT, Result.SENT, Result.BLOCKED, Result.FAILED)
            await deliveries.record([Outcome(row, results[row.chat_id % 4], "x")
                                     for row in claim.deliveries], NOW)
            commits += 1
            if commits == 5:
                going.set()
            await asyncio.sleep(0.001)

    # Small steps and a slow reader: the backup certainly spans many of the sender's commits.
    monkeypatch.setattr(storage.backup, "PAGES_PER_STEP", 4)
    sender = asyncio.create_task(broadcast())
    try:
        await asyncio.wait_for(going.wait(), 30)
        before = commits
        report = await asyncio.to_thread(backup, path, target, lambda done, total:
                                         time.sleep(0.002))
        during = commits - before
    finally:
        stop.set()
        await sender
        await database.close()
    assert during >= 10, f"only {during} commits during the backup"
    assert report.pages > 50

    restored = SqliteDatabase(target)
    await restored.open()
    try:
        assert await migrate(restored) == []
        assert await restored.fetch_value("PRAGMA integrity_check") == "ok"
        assert await restored.fetch_value("SELECT count(*) FROM users") == RECIPIENTS
        row = await restored.fetch_one("SELECT * FROM broadcasts")
        counts = dict(await restored.fetch_all(
            "SELECT status, count(*) FROM deliveries GROUP BY status"))
    finally:
        await restored.close()
    assert row["total"] == RECIPIENTS == sum(counts.values())
    assert (row["sent"], row["blocked"], row["failed"]) == (
        counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0))
    assert 0 < row["sent"] + row["blocked"] + row["failed"] < RECIPIENTS
    # The copy may fall between a claim and its outcomes: at most that one batch is in flight.
    assert counts.get("sending", 0) in (0, 20)


# --- progress ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_with_counts_and_time_left_on_a_terminal() -> None:
    terminal = _Terminal()
    with Progress("backup", "pages", terminal) as progress:
        for done in range(0, 2001, 250):
            progress(done, 2000)
    drawn = terminal.getvalue()
    assert "\r" in drawn and "backup: 100%|##########|" in drawn
    assert "2000/2000" in drawn and "pages/s" in drawn
    assert "<" in drawn  # elapsed<left


def test_progress_writes_nothing_when_not_a_terminal() -> None:
    pipe = io.StringIO()
    with Progress("backup", "pages", pipe) as progress:
        for done in range(0, 2001, 250):
            progress(done, 2000)
    assert pipe.getvalue() == ""


def test_export_to_a_pipe_prints_only_its_summary(database_path, tmp_path) -> None:
    _seed(database_path)
    with sqlite3.connect(database_path) as db:
        db.executemany(
            "INSERT INTO needs (org_id, title, description, category, urgency, country, "
            "status, created_at, updated_at) VALUES (1, ?, '', 'other', 'normal', 'DE', "
            "'open', ?, ?)", [(f"Need {number}", _at(), _at()) for number in range(12_000)])
    target = tmp_path / "public.json"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--output", str(target)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_PATH": str(database_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"exported 2 organisations, 12,002 needs, 3 events to {target}\n"
