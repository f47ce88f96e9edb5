"""The `coalition-bot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from telegram import Update
from tqdm import tqdm

from bot.app.startup import StartupFailure
from bot.infra.config import Settings, SettingsError, load_settings
from bot.infra.delivery import LEASE
from bot.infra.logs import configure_logging
from storage.schema import migrate

EXIT_BAD_SETTING = 2
EXIT_FAILED = 1
# Nothing was done, and doing it again as it is would be refused again.
EXIT_REFUSED = 2
# Cells starting so are read as formulas by spreadsheets (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _fail(message: str) -> int:
    print(f"coalition-bot: {message}", file=sys.stderr)
    return EXIT_FAILED


class Progress:
    """Progress of long work: on a terminal, a bar on standard error with the counts, the rate
    and the time left (tqdm); anywhere else (cron, CI) nothing at all, so that only the summary
    is printed. A context manager, which ends the bar also when the work failed."""

    def __init__(self, label: str, unit: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self._bar: tqdm | None = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exception: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def __call__(self, done: int, total: int) -> None:
        if not self.stream.isatty():
            return
        if self._bar is None:
            self._bar = tqdm(desc=self.label, total=total, unit=self.unit, file=self.stream,
                             unit_scale=self.unit == "B", dynamic_ncols=True)
        self._bar.total = total
        self._bar.update(done - self._bar.n)


def _before_start(settings: Settings, **checks: bool) -> tuple[list[int], int]:
    """The start-up checks (bot.app.startup): whatever fails in them is one line."""
    from bot.app.startup import StartupFailure, before_start, unexpected

    try:
        return asyncio.run(before_start(settings, **checks))
    except StartupFailure:
        raise
    except Exception as error:
        raise unexpected(error) from None


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.application import build_application, run_webhook

    _before_start(settings, telegram=True, polling=not args.webhook)
    application = build_application(settings, senders=args.senders)
    if args.webhook:
        run_webhook(application, settings, listen=args.listen)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _sender(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.senders import run_sender

    _before_start(settings, telegram=True)
    asyncio.run(run_sender(settings, args.name, timedelta(seconds=args.lease), args.parent,
                           args.give_way))
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied, version = _before_start(settings, telegram=False)
    where = "PostgreSQL" if settings.database_url else settings.database_path
    print(f"{where}: schema version {version}, applied {applied or 'nothing'}")
    return 0


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.check import check
    from bot.app.startup import unexpected

    try:
        findings = asyncio.run(check(settings))
    except Exception as error:
        raise unexpected(error) from None
    return _report(findings)


def _report(findings: list[Any]) -> int:
    for finding in findings:
        print(finding)
    return 0 if all(finding.ok for finding in findings) else EXIT_FAILED


def _copy_to_postgres(settings: Settings, args: argparse.Namespace) -> int:
    from storage.postgres import PostgresDatabase
    from storage.reports import NoDatabase, snapshot
    from storage.transfer import TargetNotEmpty, copy_to_postgres

    if not args.url.startswith(("postgresql://", "postgres://")):
        print(f"coalition-bot: {args.url!r} is not a postgresql:// URL", file=sys.stderr)
        return EXIT_REFUSED

    async def copy(source: sqlite3.Connection, progress: Progress) -> list:
        target = PostgresDatabase(args.url, pool_size=1)
        await target.open()
        try:
            return await copy_to_postgres(source, target, progress)
        finally:
            await target.close()

    try:
        with (_reading(settings) as source, snapshot(source),
              Progress("copy-to-postgres", "rows") as progress):
            report = asyncio.run(copy(source, progress))
    except NoDatabase as error:
        return _fail(str(error))
    except (_Refused, TargetNotEmpty) as error:
        print(f"coalition-bot: {error}", file=sys.stderr)
        return EXIT_REFUSED
    for copied in report:
        print(f"{copied.table:<24}{copied.rows:>12,}")
    print(f"{'total':<24}{sum(copied.rows for copied in report):>12,}")
    return 0


def _coordinator(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.services import Services
    from bot.features.coordinators import Revocation

    async def change() -> str:
        services = Services(settings)
        await services.database.open()
        try:
            await migrate(services.database)
            if args.change == "add":
                granted = await services.coordinators.grant(None, args.tg_id)
                return "added" if granted else "already a coordinator"
            outcome = await services.coordinators.revoke(None, args.tg_id)
            return {Revocation.DONE: "removed", Revocation.LAST: "is the last coordinator: "
                    "add another one first", Revocation.NOT_COORDINATOR: "is not a coordinator"
                    }[outcome]
        finally:
            await services.close()

    outcome = asyncio.run(change())
    print(f"coordinator {args.tg_id}: {outcome}")
    return 0 if outcome in ("added", "removed", "already a coordinator") else 1


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from storage.backup import BackupError, backup
    from storage.reports import NoDatabase

    if not args.recipient:
        print(f"coalition-bot: warning: {args.path} will not be encrypted: whoever gets the "
              "file can read everything in it; give --recipient AGE_PUBLIC_KEY to encrypt it",
              file=sys.stderr)
    try:
        with Progress("backup", "pages") as copying, Progress("encrypt", "B") as encrypting:
            report = backup(settings.database_path, args.path, copying,
                            recipients=args.recipient, encrypting=encrypting)
    except (BackupError, NoDatabase) as error:
        return _fail(str(error))
    sealed = (f", encrypted for {report.recipients} "
              f"recipient{'s' if report.recipients > 1 else ''}" if report.recipients else "")
    print(f"backup ok: {report.source} ({_size(report.source_bytes)}) -> {report.copy} "
          f"({_size(report.copy_bytes)}, {report.pages:,} pages), integrity_check ok{sealed}, "
          f"{report.seconds:.1f} s")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from storage.backup import BackupError, RestoreRefused, restore

    try:
        if settings.database_url:
            raise RestoreRefused("restore writes the SQLite file at DATABASE_PATH, and "
                                 "DATABASE_URL is set: unset it to restore a SQLite backup")
        with Progress("restore", "B") as progress:
            report = restore(args.path, settings.database_path, args.identity, progress)
    except RestoreRefused as error:
        print(f"coalition-bot: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except BackupError as error:
        return _fail(str(error))
    migrating = ("" if report.schema == report.newest else
                 f" (the bot migrates it to {report.newest} when it starts)")
    print(f"restore ok: {report.backup} ({'encrypted' if report.encrypted else 'plain'}) -> "
          f"{report.database}, integrity_check ok, schema version {report.schema}{migrating}, "
          f"{report.seconds:.1f} s")
    return 0


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


@contextmanager
def _reading(settings: Settings) -> Iterator[Any]:
    """The database through a read-only connection, at the schema this code knows."""
    from storage.reports import read_only, schema_version
    from storage.schema import available

    connection = read_only(settings.database_path)
    try:
        try:
            version, expected = schema_version(connection), len(available())
        except sqlite3.Error as error:
            raise _Refused(f"{settings.database_path}: {error}") from error
        if version != expected:
            raise _Refused(f"{settings.database_path} has schema version {version}, this "
                           f"coalition-bot expects {expected}: run `coalition-bot migrate` first")
        yield connection
    finally:
        connection.close()


class _Refused(Exception):
    """A command that cannot go on; the message says why."""


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """Standard output, or a file that takes its name only once it is complete."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from storage.reports import TABLES, NoDatabase, count, rows, snapshot

    target = None if args.output is None else Path(args.output)
    folder = target is not None and (target.is_dir() or args.output.endswith(("/", os.sep)))
    try:
        now, everything = _now(), args.all
        with _reading(settings) as connection, snapshot(connection):
            totals = {table: count(connection, table, now, everything=everything)
                      for table in TABLES}

            def table_rows(table: str) -> Iterator[dict[str, Any]]:
                with Progress(f"export {table}", "rows") as progress:
                    for number, row in enumerate(rows(connection, table, now,
                                                      everything=everything), 1):
                        progress(number, totals[table])
                        yield row

            if args.format == "json":
                path = target / "coalition-export.json" if folder and target else target
                with _output(path) as stream:
                    _write_json(stream, table_rows, connection)
                written = [path]
            elif folder and target:
                written = []
                for table in TABLES:
                    with _output(target / f"{table}.csv") as stream:
                        _write_csv(stream, {table: table_rows(table)}, tagged=False)
                    written.append(target / f"{table}.csv")
            else:
                with _output(target) as stream:
                    _write_csv(stream, {table: table_rows(table) for table in TABLES},
                               tagged=True)
                written = [target]
    except (NoDatabase, _Refused) as error:
        return _fail(str(error))
    if target is not None:
        counts = ", ".join(f"{totals[table]:,} {table}" for table in TABLES)
        print(f"exported {counts} to {', '.join(str(path) for path in written)}",
              file=sys.stderr)
    return 0


def _write_json(stream: IO[str], table_rows: Any, connection: Any) -> None:
    """One JSON object, written row by row so that memory stays flat."""
    from storage.reports import TABLES, schema_version

    stream.write(json.dumps({"exported_at": _now().isoformat(),
                             "schema_version": schema_version(connection)})[:-1])
    for table in TABLES:
        stream.write(f", {json.dumps(table)}: [")
        for number, row in enumerate(table_rows(table)):
            stream.write(("," if number else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        stream.write("\n]")
    stream.write("}\n")


def _write_csv(stream: IO[str], tables: dict[str, Iterator[dict[str, Any]]], *,
               tagged: bool) -> None:
    """CSV with a header row; `tagged` puts every table in one file, told apart by `table`."""
    from storage.reports import EXPORTS

    columns: list[str] = ["table"] if tagged else []
    for table in tables:
        columns += [name for name in EXPORTS[table][0] if name not in columns]
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for table, table_rows in tables.items():
        for row in table_rows:
            cells = {name: _inert(value) for name, value in row.items()}
            writer.writerow({"table": table, **cells} if tagged else cells)


def _inert(value: Any) -> Any:
    """A text a spreadsheet would run as a formula is quoted (the OWASP CSV injection rule):
    titles and descriptions are typed by anyone who registers an organisation."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _now():
    from bot.infra.clock import SystemClock

    return SystemClock().now()


def _stats(settings: Settings, args: argparse.Namespace) -> int:
    from storage.reports import NoDatabase, stats

    try:
        with _reading(settings) as connection:
            figures = stats(connection, _now())
    except (NoDatabase, _Refused) as error:
        return _fail(str(error))
    if args.json:
        document = {name: getattr(figures, name) for name in figures.__dataclass_fields__}
        document["at"] = figures.at.isoformat()
        print(json.dumps(document, indent=2))
        return 0
    orgs = figures.organisations
    print(f"{settings.database_path} at {figures.at:%Y-%m-%d %H:%M} UTC")
    for label, value in (
        ("members", f"{figures.active_members:,} active ({figures.members:,} in all)"),
        ("organisations", ", ".join(f"{orgs[status]:,} {status}" for status in orgs)),
        ("open needs", f"{figures.open_needs:,} ({figures.critical_needs:,} critical)"),
        ("upcoming events", f"{figures.upcoming_events:,}"),
        ("subscribers", f"{figures.subscribers:,}"),
        ("deliveries, 7 days", f"{figures.sent:,} sent, {figures.blocked:,} blocked, "
                               f"{figures.failed:,} failed ({figures.broadcasts:,} broadcasts)"),
    ):
        print(f"  {label + ':':<20}{value}")
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox.chat import run_sandbox

    return asyncio.run(run_sandbox(settings, args.database, fresh=args.fresh))


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="coalition-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run the bot against Telegram (long polling, or --webhook)",
        description="Run the bot until SIGINT or SIGTERM, which finish the work in flight.")
    run.add_argument("--webhook", action="store_true",
                     help="receive updates on a webhook instead of polling: needs WEBHOOK_URL "
                          "(its path is the path listened on), WEBHOOK_SECRET and WEBHOOK_PORT")
    run.add_argument("--listen", default="127.0.0.1", metavar="ADDRESS",
                     help="address the webhook listens on, behind your reverse proxy "
                          "(default 127.0.0.1)")
    run.add_argument("--senders", type=_count, default=1, metavar="N",
                     help="sender processes that send the delivery queue (default 1); 0 sends "
                          "it in this process, for tiny set-ups")
    run.set_defaults(action=_run)
    sender = commands.add_parser(
        "sender", help="send the delivery queue, without handling updates",
        description="Send broadcasts from the database until SIGINT or SIGTERM, which finish "
                    "the sends in flight. Several senders (also on other machines, on "
                    "PostgreSQL) share BROADCAST_RATE and one message a second to a chat.")
    sender.add_argument("--name", default=f"sender-{os.getpid()}",
                        help="this sender's name: one restarted under the same name takes "
                             "back at once the rows it had in flight (default sender-PID)")
    sender.add_argument("--lease", type=float, default=LEASE.total_seconds(), metavar="SECONDS",
                        help="how long a claimed row stays this sender's; the rows of a sender "
                             "that died go to the others after it (default "
                             f"{LEASE.total_seconds():.0f})")
    sender.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    sender.add_argument("--give-way", type=int, help=argparse.SUPPRESS)
    sender.set_defaults(action=_sender)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        action=_migrate
    )
    commands.add_parser(
        "check", help="is everything set up right? one line each, ok or problem",
        description="Check the settings; the database (reachable, integrity check, migrations "
                    "up to date); Telegram (reachable, the token valid) and the webhook against "
                    "the mode WEBHOOK_URL chooses; that every COORDINATOR_IDS entry started the "
                    "bot; and that the delivery queue's oldest unsent message waits less than "
                    "10 minutes. Exit status 0 only if all are ok, 1 otherwise."
    ).set_defaults(action=_check)
    copy = commands.add_parser(
        "copy-to-postgres", help="copy the SQLite database into an empty PostgreSQL database",
        description="Copy every table of the SQLite database at DATABASE_PATH (stop the bot "
                    "first) into an empty PostgreSQL database, in one transaction, after "
                    "bringing it to the same schema; check the row counts of each table and "
                    "print them. Refused (exit status 2) if the target holds any table or row, "
                    "or if the SQLite database is not at this version's schema.")
    copy.add_argument("url", help="the target, postgresql://user:password@host/database")
    copy.set_defaults(action=_copy_to_postgres)
    coordinator = commands.add_parser("coordinator", help="grant or revoke coordination")
    coordinator.add_argument("change", choices=("add", "remove"))
    coordinator.add_argument("tg_id", type=int, help="the person's numeric Telegram id")
    coordinator.set_defaults(action=_coordinator)
    backup = commands.add_parser(
        "backup", help="copy the database while the bot runs, and check the copy",
        description="Online backup of DATABASE_PATH through SQLite's backup API, from one "
                    "consistent moment, while the bot keeps running; then PRAGMA "
                    "integrity_check of the copy. Exit status 1 if anything failed.")
    backup.add_argument("path", type=Path, help="the backup file to write (replaced if present)")
    backup.add_argument("--recipient", action="append", default=[], metavar="AGE_PUBLIC_KEY",
                        help="encrypt the backup with age for this public key (age1…, from "
                             "age-keygen); repeat it for several keys, any one of which "
                             "decrypts. Without it the file is not encrypted (a warning says so)")
    backup.set_defaults(action=_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup into a new database file (bot stopped)",
        description="Decrypt the backup with --identity (or read a plain one) into DATABASE_PATH, "
                    "which must not exist yet: stop the bot and move the old file away first. "
                    "The restored database passes PRAGMA integrity_check, and its schema must "
                    "not be newer than this coalition-bot's (an older one is migrated when the "
                    "bot starts). Exit status 2 if refused, 1 if it failed.")
    restore.add_argument("path", type=Path, help="the backup file")
    restore.add_argument("--identity", type=Path, metavar="KEY_FILE",
                         help="the age key file (from age-keygen) whose key the backup was "
                              "encrypted for")
    restore.set_defaults(action=_restore)
    export = commands.add_parser(
        "export", help="public needs, events and organisations as JSON or CSV",
        description="Export what members can see: approved organisations, their open needs "
                    "and their upcoming events not cancelled (--all adds the other needs and "
                    "events of those organisations). Never private details of needs, hidden "
                    "venues, Telegram ids or any other personal data. CSV cells that a "
                    "spreadsheet would run as a formula (starting with = + - @) are quoted.")
    export.add_argument("--all", action="store_true",
                        help="also needs no longer open, and past and cancelled events")
    export.add_argument("--format", choices=("json", "csv"), default="json",
                        help="json (default): one object with a list per table; csv: one file "
                             "per table if --output is a folder, else one file whose `table` "
                             "column names the table of each row")
    export.add_argument("--output", metavar="PATH",
                        help="file or folder (an existing one, or ending in /) to write; "
                             "standard output by default")
    export.set_defaults(action=_export)
    stats = commands.add_parser(
        "stats", help="members, organisations, needs, events, subscribers, deliveries",
        description="Figures for operators: active members, organisations by status, open "
                    "needs and upcoming events as members see them, digest subscribers, and "
                    "deliveries of broadcasts created in the last 7 days.")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    stats.set_defaults(action=_stats)
    sandbox = commands.add_parser(
        "sandbox", help="chat with the real bot offline, through a local Bot API server"
    )
    sandbox.add_argument("--database", default="./data/sandbox.db", help="SQLite file to use")
    sandbox.add_argument("--fresh", action="store_true", help="delete that file first")
    sandbox.set_defaults(action=_sandbox)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command in ("run", "sender"):
            settings.token()
            if args.command == "run" and args.webhook:
                settings.webhook()
    except SettingsError as error:
        if args.command == "check":
            from bot.app.check import Finding

            return _report([Finding("settings", False, str(error))])
        print(f"coalition-bot: {error}", file=sys.stderr)
        return EXIT_BAD_SETTING
    configure_logging(settings)
    try:
        return args.action(settings, args)
    except StartupFailure as failure:
        print(f"coalition-bot: {failure}", file=sys.stderr)
        return failure.status
