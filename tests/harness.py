"""End-to-end test driver: people who type and press buttons, talking to the real bot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.ext import Application

from bot.app.services import Services
from bot.sandbox.keyboards import user_requests
from bot.sandbox.records import SentRecord
from bot.sandbox.server import BotApiServer

SETTLE_TIMEOUT = 15
ACTION_SECONDS = 1


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


@dataclass
class Replies:
    """What the bot sent a person in answer to one action."""

    messages: list[SentRecord]
    notices: list[str] = field(default_factory=list)

    @property
    def last(self) -> SentRecord:
        assert self.messages, f"the bot did not reply (notices: {self.notices})"
        return self.messages[-1]

    @property
    def text(self) -> str:
        return self.last.text

    @property
    def texts(self) -> list[str]:
        return [message.text for message in self.messages]


class Person:
    """One Telegram user in the sandbox."""

    def __init__(self, bot: BotUnderTest, tg_id: int, language: str) -> None:
        self.bot = bot
        self.tg_id = tg_id
        self.language = language

    async def send(self, text: str) -> Replies:
        """Type a message; returns everything the bot sent this person while handling it."""
        return await self.bot.act(self, lambda: self.bot.server.user_sends(self.tg_id, text))

    async def press(self, label: str, message: SentRecord | None = None) -> Replies:
        """Press the button with this label on a message (default: the newest with buttons)."""
        message = message or self.last_with_buttons()
        data = button_data(self.bot.current(message), label)
        return await self.bot.act(
            self, lambda: self.bot.server.user_presses(self.tg_id, message.message_id, data)
        )

    async def pick(self, tg_id: int) -> Replies:
        """Choose a person with the user picker the bot left under the input field."""
        [(_, request)] = user_requests(self.bot.server.reply_keyboards.get(self.tg_id))
        return await self.bot.act(self, lambda: self.bot.server.user_shares_users(
            self.tg_id, request["request_id"], [tg_id]))

    async def press_forged(self, data: str, message: SentRecord | None = None) -> Replies:
        """Send callback data no button of the message carries, as a tampered client would."""
        received = self.bot.received(self.tg_id)
        message_id = (message or received[-1]).message_id if (message or received) else 1
        return await self.bot.act(
            self, lambda: self.bot.server.user_presses_forged(self.tg_id, message_id, data)
        )

    def last_with_buttons(self) -> SentRecord:
        for record in reversed(self.bot.received(self.tg_id)):
            if record.reply_markup and record.reply_markup.get("inline_keyboard"):
                return record
        raise AssertionError(f"no message with buttons for {self.tg_id}")

    def received(self) -> list[SentRecord]:
        return self.bot.received(self.tg_id)


def buttons(message: SentRecord) -> list[dict]:
    markup = message.reply_markup or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button_labels(message: SentRecord) -> list[str]:
    return [button["text"] for button in buttons(message)]


def button_data(message: SentRecord, label: str) -> str:
    for button in buttons(message):
        if button["text"] == label or button["text"].endswith(f" {label}"):
            return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {button_labels(message)}")


class BotUnderTest:
    """The real Application polling the sandbox server, with people to talk to it."""

    def __init__(self, server: BotApiServer, application: Application, clock: FakeClock) -> None:
        self.server = server
        self.application = application
        self.clock = clock
        self._next_id = 1000

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    def person(self, language: str = "en", tg_id: int | None = None) -> Person:
        if tg_id is None:
            self._next_id += 1
            tg_id = self._next_id
        self.server.add_user(tg_id, first_name=f"P{tg_id}", username=f"p{tg_id}",
                             language_code=language)
        return Person(self, tg_id, language)

    def current(self, message: SentRecord) -> SentRecord:
        """The message as the person sees it now: its latest edit, if it was edited."""
        for record in reversed(self.server.outbox):
            if (record.chat_id, record.message_id) == (message.chat_id, message.message_id):
                return record
        return message

    def received(self, tg_id: int) -> list[SentRecord]:
        return [record for record in self.server.outbox if record.chat_id == tg_id]

    async def act(self, person: Person, action,
                  handled: Callable[[], Awaitable[None]] | None = None) -> Replies:
        """Do the action and wait until the bot has handled it (by default: every update enqueued
        so far; `handled` is a coroutine function to wait on instead)."""
        # People take a moment between messages; without it every test would be a flood.
        self.clock.advance(seconds=ACTION_SECONDS)
        sent_before = len(self.server.outbox)
        answers_before = len(self.server.callback_answers)
        action()
        if handled is None:
            await self.settle()
        else:
            async with asyncio.timeout(SETTLE_TIMEOUT):
                await handled()
        return Replies(
            [r for r in self.server.outbox[sent_before:] if r.chat_id == person.tg_id],
            [text for _, text, _ in self.server.callback_answers[answers_before:] if text],
        )

    async def redeliver(self, person: Person, update_id: int) -> Replies:
        """Telegram delivers an update again; returns what the bot sent once it handled the
        repeat itself (its id is not new, so waiting for the latest id would return at once)."""
        processor = self.application.update_processor
        count = processor.handled + 1
        return await self.act(person, lambda: self.server.resend_update(update_id),
                              lambda: processor.wait_handled(count))

    async def settle(self) -> None:
        """Wait until the bot has handled every update enqueued so far."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await self.application.update_processor.wait_processed(self.server.last_update_id)
