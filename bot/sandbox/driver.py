"""The chats and the update queue the sandbox holds, and the user's side of them: people who
write to the bot and press its buttons, as tests and the terminal chat drive them."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.sandbox.errors import CHAT_NOT_FOUND_DESCRIPTION, ApiError, bad
from bot.sandbox.formatting import utf16_len
from bot.sandbox.keyboards import callback_data_of, user_requests
from bot.sandbox.params import Params
from bot.sandbox.records import CallbackAnswer, RejectedRecord, SentRecord

_BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?(?![A-Za-z0-9_@])")

T = TypeVar("T")


class UserSide:
    """Users, their chats with the bot and the updates their actions queue for the bot."""

    def __init__(self, bot_user: dict[str, Any], first_update_id: int) -> None:
        self.bot_user = bot_user
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.deleted: list[tuple[int, int]] = []
        self.outbox: list[SentRecord] = []
        self.rejected: list[RejectedRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        # The reply keyboard under each chat's input field, while the bot has not removed it.
        self.reply_keyboards: dict[int, dict[str, Any]] = {}
        # Channels the bot is an admin of, by id: it may post and edit there.
        self.channels: dict[int, dict[str, Any]] = {}

        self._last_message_id: dict[int, int] = {}
        self._next_update_id = first_update_id
        self._pending: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._redelivered: set[int] = set()
        self._open_queries: set[str] = set()
        self._callback_seq = 0
        self._changed = asyncio.Event()
        self._updates_arrived = asyncio.Event()

    def add_user(
        self,
        user_id: int,
        first_name: str = "Alice",
        username: str | None = "alice",
        language_code: str | None = "en",
        *,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Register a Telegram user (idempotent); their private chat has the same id. A bot
        (`is_bot`) is someone a user can pick, never someone who writes."""
        if user_id in self.users:
            return self.users[user_id]
        user: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def add_channel(self, chat_id: int, title: str, username: str | None = None) -> None:
        """A channel where the bot is an admin (inject a 403 to say it was removed)."""
        self.channels[chat_id] = {"id": chat_id, "type": "channel", "title": title} | (
            {"username": username} if username else {})

    def channel_posts(self, chat_id: int) -> dict[int, str]:
        """What a channel shows now: each message's latest text, by message id."""
        return {message_id: message.get("text", "")
                for (chat, message_id), message in self.messages.items() if chat == chat_id}

    def user_sends(self, user_id: int, text: str,
                   entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The user writes ``text`` to the bot, formatted with ``entities``; returns the user's
        message."""
        if not text.strip():
            raise ValueError("a Telegram client cannot send an empty message")
        message = self._new_message(user_id, self._user(user_id))
        message["text"] = text
        found = list(entities or [])
        command = _BOT_COMMAND.match(text)
        if command:
            found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
        if found:
            message["entities"] = sorted(found, key=lambda e: (e["offset"], -e["length"]))
        self.user_messages[(user_id, message["message_id"])] = message
        self.enqueue_update({"message": copy.deepcopy(message)})
        return message

    def user_shares_users(self, user_id: int, request_id: int,
                          shared_ids: list[int]) -> dict[str, Any]:
        """The user picks people with the user-picker button (`request_users`) of the reply
        keyboard the bot left in their chat; the picker offers only whom the button allows.
        Returns the user's message, which carries `users_shared`."""
        request = next((request for _, request in user_requests(self.reply_keyboards.get(
            user_id)) if request["request_id"] == request_id), None)
        if request is None:
            raise ValueError(f"chat {user_id} has no user picker with request_id {request_id}")
        if not 1 <= len(shared_ids) <= request.get("max_quantity", 1):
            raise ValueError(f"the picker takes 1 to {request.get('max_quantity', 1)} people")
        for shared in shared_ids:
            if shared not in self.users:
                raise ValueError(f"unknown user {shared}; call add_user first")
            wanted = request.get("user_is_bot")
            if wanted is not None and self.users[shared]["is_bot"] != wanted:
                raise ValueError(f"the picker offers {'only' if wanted else 'no'} bots: {shared}")
        message = self._new_message(user_id, self._user(user_id))
        message["users_shared"] = {"request_id": request_id,
                                   "users": [{"user_id": shared} for shared in shared_ids]}
        self.user_messages[(user_id, message["message_id"])] = message
        self.enqueue_update({"message": copy.deepcopy(message)})
        return message

    def user_presses(self, user_id: int, message_id: int, callback_data: str) -> str:
        """The user presses the button with ``callback_data``; returns the callback query id."""
        message = self.messages.get((user_id, message_id))
        if message is None:
            raise ValueError(f"there is no bot message {message_id} in chat {user_id}")
        buttons = callback_data_of(message)
        if callback_data not in buttons:
            raise ValueError(
                f"message {message_id} in chat {user_id} has no button with callback_data "
                f"{callback_data!r}; its buttons carry {buttons!r}"
            )
        return self._press(user_id, message_id, callback_data)

    def user_presses_forged(self, user_id: int, message_id: int, callback_data: str) -> str:
        """Like user_presses, for data no real button carries (a forged or stale client)."""
        return self._press(user_id, message_id, callback_data)

    def _press(self, user_id: int, message_id: int, callback_data: str) -> str:
        user = self._user(user_id)
        self._callback_seq += 1
        query_id = str(self.bot_user["id"] * 1_000_000 + self._callback_seq)
        message = self.messages.get((user_id, message_id))
        query: dict[str, Any] = {
            "id": query_id,
            "from": dict(user),
            "chat_instance": str(user_id * 7919 + self.bot_user["id"]),
            "data": callback_data,
            # An unknown message reaches the bot as an InaccessibleMessage (date 0).
            "message": copy.deepcopy(message)
            if message is not None
            else {"chat": self._chat(user_id), "message_id": message_id, "date": 0},
        }
        self._open_queries.add(query_id)
        self.enqueue_update({"callback_query": query})
        return query_id

    def enqueue_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update for getUpdates; assigns and returns its update_id."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._history[update["update_id"]] = update
        self._pending.append(update)
        self._wake_pollers()
        self._notify()
        return update["update_id"]

    def resend_update(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does when the bot did not confirm it."""
        update = self._history.get(update_id)
        if update is None:
            raise ValueError(f"no update {update_id} was ever queued")
        if all(pending["update_id"] != update_id for pending in self._pending):
            bisect.insort(self._pending, update, key=lambda u: u["update_id"])
        # The bot's offset may already be past it; deliver it once regardless.
        self._redelivered.add(update_id)
        self._wake_pollers()
        self._notify()

    def confirm(self, update_id: int) -> None:
        """The bot answered a webhook post of this update: it is no longer pending."""
        self._pending = [u for u in self._pending if u["update_id"] != update_id]
        self._redelivered.discard(update_id)
        self._notify()

    @property
    def last_update_id(self) -> int:
        """The update_id given to the latest queued update (first_update_id - 1 before any)."""
        return self._next_update_id - 1

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return list(self._pending)

    # --- observation -------------------------------------------------------------------------

    # The timeout argument is the documented interface of the test driver.
    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (re-checked after every request and update)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    value = predicate()
                    if value:
                        return value
                    await changed.wait()
        except TimeoutError:
            recent = "\n".join(
                f"  #{r.seq} {r.method} chat={r.chat_id} msg={r.message_id}"
                f"{' (edit)' if r.edited else ''}: {(r.text or r.caption or '')[:80]!r}"
                for r in self.outbox[-5:]
            )
            rejected = "\n".join(f"  {r}" for r in self.rejected[-3:])
            raise TimeoutError(
                f"condition not met within {timeout} s; last sends:\n{recent or '  (none)'}"
                f"\nlast rejected requests:\n{rejected or '  (none)'}"
            ) from None

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _wake_pollers(self) -> None:
        self._updates_arrived.set()
        self._updates_arrived = asyncio.Event()

    # --- chats and messages ------------------------------------------------------------------

    def _user(self, user_id: int) -> dict[str, Any]:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}; call add_user first") from None

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.channels:
            return dict(self.channels[chat_id])
        user = self.users[chat_id]
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def _chat_id_of(self, raw: Any) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if not isinstance(raw, str):
            return None
        raw = raw.strip()
        if raw.startswith("@"):
            wanted = raw[1:].lower()
            return next(
                (uid for uid, u in (*self.users.items(), *self.channels.items())
                 if u.get("username", "").lower() == wanted),
                None,
            )
        with contextlib.suppress(ValueError):
            return int(raw)
        return None

    def _resolve_chat(self, params: Params) -> int:
        raw = params.values.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        chat_id = self._chat_id_of(raw)
        if chat_id is None or (chat_id not in self.users and chat_id not in self.channels):
            raise ApiError(400, CHAT_NOT_FOUND_DESCRIPTION)
        return chat_id

    def _new_message(self, chat_id: int, sender: dict[str, Any]) -> dict[str, Any]:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        chat = self._chat(chat_id)
        # A channel's posts are signed by the channel, not by the bot that wrote them.
        author = {"sender_chat": chat} if chat["type"] == "channel" else {"from": dict(sender)}
        return {"message_id": message_id, **author, "chat": chat, "date": int(time.time())}

