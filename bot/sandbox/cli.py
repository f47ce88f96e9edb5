"""`python -m bot.sandbox.cli`: the sandbox Bot API server alone, for other processes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.sandbox import server
from bot.sandbox.server import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, BotApiServer


def _user_ids(spec: str) -> list[int]:
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first, _, last = part.partition("-")
        start = int(first)
        ids.extend(range(start, int(last) + 1) if last else [start])
    return ids


async def _serve(args: argparse.Namespace) -> int:
    sandbox = BotApiServer(
        token=args.token,
        bot_username=args.bot_username,
        host=args.host,
        port=args.port,
        log_path=args.log,
    )
    for user_id in _user_ids(args.users):
        sandbox.add_user(user_id, f"User {user_id}", f"user{user_id}", "en")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await sandbox.start()
    try:
        print(f"READY {sandbox.port}", flush=True)
        await stopping.wait()
    finally:
        await sandbox.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox Bot API server until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.cli", description=(server.__doc__ or "").strip()
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log", type=Path, help="append every accepted send as a JSON line")
    parser.add_argument("--users", default="", help="user ids to pre-add, e.g. 1-2000,5000")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--bot-username", default=DEFAULT_BOT_USERNAME)
    args = parser.parse_args(argv)
    try:
        _user_ids(args.users)
    except ValueError:
        parser.error(f"--users: expected ranges like 1-2000,5000, got {args.users!r}")
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
