"""Telegram's side of a webhook: the pending updates POSTed to the bot's replicas.

Like Telegram, a chat's next update is posted only once its previous one was answered (other
chats' go in parallel), and an update that was not answered with 200 is posted again. Each
update goes to the next address in turn: replicas behind one URL."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

from bot.sandbox.driver import UserSide

RETRY_AFTER = 0.2
# How often new updates are looked for (the sandbox's stand-in for Telegram's own queue).
POLL = 0.005


class WebhookDelivery:
    def __init__(self, side: UserSide, urls: list[str], secret: str) -> None:
        self._side = side
        self._urls = itertools.cycle(urls)
        self._all = list(urls)
        self._headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None
        self._chats: dict[int, asyncio.Task] = {}

    async def __aenter__(self) -> WebhookDelivery:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        tasks = [task for task in (self._task, *self._chats.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._session.close()

    def start(self) -> None:
        """Post every pending update, now and as people act, until the end."""
        self._task = asyncio.create_task(self._deliver())

    async def post(self, update: dict[str, Any], url: str) -> int:
        async with self._session.post(url, json=update, headers=self._headers) as response:
            return response.status

    async def post_everywhere(self, update: dict[str, Any]) -> list[int]:
        """The same update to every replica at once, as a re-delivery after a timeout may."""
        return list(await asyncio.gather(*(self.post(update, url) for url in self._all)))

    async def _deliver(self) -> None:
        chats = self._chats
        while True:
            for update in self._side.pending_updates:
                chat = _chat_of(update)
                if chat not in chats or chats[chat].done():
                    chats[chat] = asyncio.create_task(self._send_chat(chat))
            await asyncio.sleep(POLL)

    async def _send_chat(self, chat: int) -> None:
        """One chat's pending updates, in order, each after the previous one was answered."""
        while update := next((u for u in self._side.pending_updates if _chat_of(u) == chat),
                             None):
            try:
                status = await self.post(update, next(self._urls))
            except aiohttp.ClientError:
                status = 0
            if status == 200:
                self._side.confirm(update["update_id"])
            else:
                await asyncio.sleep(RETRY_AFTER)


def _chat_of(update: dict[str, Any]) -> int:
    event = update.get("message") or update.get("callback_query") or {}
    return event.get("from", {}).get("id", 0)
