"""Sender workers: the delivery queue in processes of its own (SPEC §11).

`coalition-bot sender` sends alone, with no update handling, so that a broadcast never slows
the conversations; `coalition-bot run` starts and watches N of them (`--senders`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from datetime import timedelta

from bot.features.channel import Channel
from bot.features.notices import Notices
from bot.infra.clock import SystemClock
from bot.infra.config import Settings
from bot.infra.delivery import DeliveryQueue, courier_for
from bot.infra.handling import Handling, SharedHandling
from storage.backend import open_database
from storage.deliveries import DeliveryRepository
from storage.schema import migrate
from storage.users import UserRepository

log = logging.getLogger("coalition.senders")

# A sender that dies is started again after a pause doubling from FIRST_RESTART up to
# LAST_RESTART; one that ran for HEALTHY seconds starts over from FIRST_RESTART.
FIRST_RESTART = 0.5
LAST_RESTART = 30.0
HEALTHY = 60.0
# Time a sender gets to finish its sends in flight on SIGTERM before it is killed.
STOP_TIMEOUT = 30.0
PARENT_CHECK = 1.0


async def run_sender(
    settings: Settings, name: str, lease: timedelta, parent: int | None = None,
    give_way: int | None = None,
) -> None:
    """Send from the database until SIGINT or SIGTERM (or until `parent` is gone), then finish
    the sends in flight and give the rest back. `give_way`: the descriptor of the parent's
    Handling, to give way while it handles an update (bot/infra/handling.py)."""
    database = open_database(path=settings.database_path, url=settings.database_url)
    await database.open()
    try:
        await migrate(database)
        deliveries = DeliveryRepository(database, settings.default_language)
        queue = DeliveryQueue(deliveries, SystemClock(), rate=settings.broadcast_rate,
                              owner=name, lease=lease, channel=settings.channel_id)
        # A sender that finds the channel refusing the bot tells the coordinators itself.
        users = UserRepository(database)
        queue.when_channel_lost(Channel(
            deliveries, queue, users,
            Notices(users, queue, default_language=settings.default_language),
            channel_id=settings.channel_id, language=settings.default_language).report_lost)
        if give_way is not None:
            queue.give_way_to(SharedHandling(give_way))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await queue.start(courier_for(
            settings.token(), settings.telegram_api_base_url, settings.broadcast_rate))
        log.info("sender %s started at %s messages/s", name, settings.broadcast_rate)
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(PARENT_CHECK):
                        await stop.wait()
                # A `run` killed with SIGKILL cannot stop its senders: they stop themselves.
                if parent is not None and os.getppid() != parent:
                    log.warning("sender %s: the bot process is gone, stopping", name)
                    stop.set()
        finally:
            await queue.stop()
        log.info("sender %s stopped", name)
    finally:
        await database.close()


class SenderProcesses:
    """The `coalition-bot sender` children of `run`: started with it, restarted with back-off
    when one dies, stopped (SIGTERM, their sends in flight finished) when it stops.

    Each child has a fixed name (sender-1, …, after "REPLICA/" when set), so a restarted child
    takes back at once the rows its dead predecessor had in flight; it is in a session of its
    own, so that a Ctrl-C in the terminal reaches only `run`, which stops the children in order.
    Each child gives way while `run` handles an update: it inherits the descriptor of `run`'s
    Handling.
    """

    def __init__(self, names: list[str], handling: Handling) -> None:
        self._names = names
        self._handling = handling
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self._watchers: list[asyncio.Task] = []
        self._stopping = False

    def start(self) -> None:
        self._watchers = [asyncio.create_task(self._keep(name), name=f"watch-{name}")
                          for name in self._names]

    async def stop(self) -> None:
        self._stopping = True
        for child in self._children.values():
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
        for child in self._children.values():
            try:
                await asyncio.wait_for(child.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.error("sender pid %d did not stop in %.0f s; killed", child.pid, STOP_TIMEOUT)
                child.kill()
                await child.wait()
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)

    async def _keep(self, name: str) -> None:
        pause = FIRST_RESTART
        while not self._stopping:
            started = time.monotonic()
            give_way = self._handling.shared_fd()
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "sender", "--name", name,
                "--parent", str(os.getpid()), "--give-way", str(give_way),
                pass_fds=(give_way,), start_new_session=True)
            self._children[name] = child
            log.info("started %s (pid %d)", name, child.pid)
            status = await child.wait()
            if self._stopping:
                return
            if time.monotonic() - started >= HEALTHY:
                pause = FIRST_RESTART
            log.error("%s (pid %d) ended with status %d; restarting in %.1f s",
                      name, child.pid, status, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LAST_RESTART)
