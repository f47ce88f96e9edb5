"""The `coalition-bot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from telegram import Update

from bot.config import Settings, SettingsError, load_settings
from storage.schema import migrate

EXIT_BAD_SETTING = 2


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # httpx logs every request URL, and the Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.application import build_application

    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import Database
    from storage.schema import current_version

    async def apply() -> tuple[list[int], int]:
        database = Database(settings.database_path)
        await database.open()
        try:
            return await migrate(database), await current_version(database)
        finally:
            await database.close()

    applied, version = asyncio.run(apply())
    print(f"{settings.database_path}: schema version {version}, applied {applied or 'nothing'}")
    return 0


def _coordinator(settings: Settings, args: argparse.Namespace) -> int:
    from bot.coordinators import Revocation
    from bot.services import Services

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


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox.chat import run_sandbox

    return asyncio.run(run_sandbox(settings, args.database, fresh=args.fresh))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="coalition-bot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot against Telegram (long polling)")
    run.set_defaults(action=_run)
    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        action=_migrate
    )
    coordinator = commands.add_parser("coordinator", help="grant or revoke coordination")
    coordinator.add_argument("change", choices=("add", "remove"))
    coordinator.add_argument("tg_id", type=int, help="the person's numeric Telegram id")
    coordinator.set_defaults(action=_coordinator)
    sandbox = commands.add_parser(
        "sandbox", help="chat with the real bot offline, through a local Bot API server"
    )
    sandbox.add_argument("--database", default="./data/sandbox.db", help="SQLite file to use")
    sandbox.add_argument("--fresh", action="store_true", help="delete that file first")
    sandbox.set_defaults(action=_sandbox)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    try:
        settings = load_settings()
        if args.command == "run":
            settings.token()
    except SettingsError as error:
        print(f"coalition-bot: {error}", file=sys.stderr)
        return EXIT_BAD_SETTING
    return args.action(settings, args)
