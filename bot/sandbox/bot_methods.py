"""The Bot API methods about the bot itself: getMe, getUpdates, webhooks, commands, menu button."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from bot.sandbox.driver import UserSide
from bot.sandbox.errors import ApiError, bad
from bot.sandbox.params import Params

MAX_UPDATES_PER_POLL = 100
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


def command_key(scope: dict[str, Any] | None = None, language_code: str = "") -> tuple[str, str]:
    """Key of ``BotApiServer.commands``: canonical JSON of the scope and the language code."""
    scope = scope if scope is not None else {"type": "default"}
    return json.dumps(scope, sort_keys=True, separators=(",", ":")), language_code


class BotMethods(UserSide):
    """Updates for the bot to fetch, and what the bot sets up about itself."""

    def __init__(self, bot_user: dict[str, Any], first_update_id: int) -> None:
        super().__init__(bot_user, first_update_id)
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook_url = ""
        # What getWebhookInfo reports of Telegram's last failed post to the webhook, if any.
        self.webhook_last_error: str | None = None
        self.polls_waiting = 0
        self._poll_generation = 0
        self._closing = False

    async def _true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return self.bot_user

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset") or 0
        limit = params.get_int("limit") or MAX_UPDATES_PER_POLL
        limit = max(1, min(limit, MAX_UPDATES_PER_POLL))
        timeout = max(0.0, params.get_number("timeout") or 0.0)
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()  # an older long poll ends, as Telegram terminates it
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation or self._closing:
                return []
            if self._pending:
                batch = self._pending[:limit]
                self._redelivered.difference_update(u["update_id"] for u in batch)
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            arrived = self._updates_arrived
            self.polls_waiting += 1
            self._notify()
            try:
                async with asyncio.timeout(remaining):
                    await arrived.wait()
            except TimeoutError:
                pass
            finally:
                self.polls_waiting -= 1

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [
                u
                for u in self._pending
                if u["update_id"] >= offset or u["update_id"] in self._redelivered
            ]
        elif offset < 0:
            self._pending = self._pending[offset:]

    async def _set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        self.webhook_url = ""
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_last_error is not None:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self.webhook_last_error
        return info

    def _command_key(self, params: Params) -> tuple[str, str]:
        scope = params.get_json("scope")
        if scope is not None and not (isinstance(scope, dict) and "type" in scope):
            raise bad("can't parse BotCommandScope JSON object")
        return command_key(scope, params.get_str("language_code") or "")

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return self.commands.get(self._command_key(params), [])

    async def _delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: Params) -> bool:
        chat_id = self._resolve_chat(params) if params.values.get("chat_id") else None
        button = params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> dict[str, Any]:
        chat_id = self._resolve_chat(params) if params.values.get("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

