"""Update processing: one at a time, one log line each (update id, user id, handler, duration)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.infra.handling import Handling

log = logging.getLogger("coalition.updates")

handler_name: contextvars.ContextVar[str | None] = contextvars.ContextVar("handler", default=None)


class UpdateProcessor(BaseUpdateProcessor):
    """Sequential processing, so one person's updates act in the order they were sent.

    Across processes sharing a database (webhook replicas) a person's updates are handled one
    at a time under `person` (the database's per-person lock), and `finished` lets the webhook
    answer Telegram only once an update is handled, so Telegram sends that person's next
    update, to whichever replica, after it. `after` runs once each of a person's updates is
    handled, however that ended, still under their lock (the flood window is written then)."""

    def __init__(self) -> None:
        super().__init__(max_concurrent_updates=1)
        self.person: Callable[[int], AbstractAsyncContextManager[None]] = (
            lambda tg_id: nullcontext())
        self.after: Callable[[int], Awaitable[None]] | None = None
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self.last_update_id = 0
        # Every update handled, re-deliveries included: a repeat has an id already counted above.
        self.handled = 0
        self._processed = asyncio.Condition()
        # Mass sending gives way to people while an update is handled (handling.py).
        self.handling = Handling()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        self.handling.close()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        handler_name.set(None)
        started = time.perf_counter()
        self.handling.begin()
        user = update.effective_user if isinstance(update, Update) else None
        try:
            async with self.person(user.id) if user else nullcontext():
                try:
                    await coroutine
                finally:
                    if user and self.after is not None:
                        await self.after(user.id)
        finally:
            self.handling.end()
            waiting = self._waiting.pop(id(update), None)
            if waiting is not None and not waiting.done():
                waiting.set_result(None)
            if isinstance(update, Update):
                fields = {"update_id": update.update_id, "user_id": user.id if user else None,
                          "handler": handler_name.get(),
                          "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
                # The same fields as keys of their own for a JSON log (bot/infra/logs.py).
                log.info("update=%s user=%s handler=%s ms=%.1f", fields["update_id"],
                         fields["user_id"] or "-", fields["handler"] or "-",
                         fields["duration_ms"], extra=fields)
                async with self._processed:
                    self.last_update_id = max(self.last_update_id, update.update_id)
                    self.handled += 1
                    self._processed.notify_all()

    def finished(self, update: Update) -> asyncio.Future[None]:
        """Done once `update` (this object, to be queued next) has been handled."""
        return self._waiting.setdefault(id(update), asyncio.get_running_loop().create_future())

    async def wait_processed(self, update_id: int) -> None:
        """Wait until the update with this id (and every earlier one) has been handled."""
        async with self._processed:
            await self._processed.wait_for(lambda: self.last_update_id >= update_id)

    async def wait_handled(self, count: int) -> None:
        """Wait until `count` updates have been handled since the start, re-deliveries included."""
        async with self._processed:
            await self._processed.wait_for(lambda: self.handled >= count)
