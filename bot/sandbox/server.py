"""A small Bot-API-compatible HTTP server on localhost that stands in for Telegram."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.bot_methods import BotMethods
from bot.sandbox.errors import ApiError, ErrorInjection, bad
from bot.sandbox.messages import MessageMethods
from bot.sandbox.params import Params, read_params
from bot.sandbox.records import RejectedRecord

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX"
DEFAULT_BOT_USERNAME = "coalition_sandbox_bot"

_API_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)")

Handler = Callable[[Params], Awaitable[Any]]


class BotApiServer(MessageMethods, BotMethods, ErrorInjection):
    """Bot API over HTTP on localhost, with a user side that tests and the terminal chat drive.

    All methods must be called from the event loop the server runs on.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | Path | None = None,
        *,
        bot_first_name: str = "Coalition (sandbox)",
        first_update_id: int = 1,
    ):
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        bot_user: dict[str, Any] = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        super().__init__(bot_user, first_update_id)
        ErrorInjection.__init__(self)
        self.token = token
        self.host = host
        self.log_path = Path(log_path) if log_path is not None else None
        self.request_count: Counter[str] = Counter()
        self._requested_port = port
        self._runner: web.AppRunner | None = None

        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the sandbox server is already running")
        self._closing = False
        self._open_log()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self._requested_port).start()
        self._runner = runner

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._runner is None:
            raise RuntimeError("the sandbox server is not running")
        return self._runner.addresses[0][1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def _open_log(self) -> None:
        if self.log_path is not None and self._log_file is None:
            self._log_file = self.log_path.open("a", encoding="utf-8")

    # --- HTTP --------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        file_match = _FILE_PATH.fullmatch(path)
        if file_match is not None:
            return self._serve_file(*file_match.groups())
        api_match = _API_PATH.fullmatch(path)
        if api_match is None:
            return _error_response(ApiError(404, "Not Found"))
        token, raw_method = api_match.groups()
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        name, handler = self._handlers.get(raw_method.lower(), (raw_method, None))
        self.request_count[name] += 1
        chat_id: int | None = None
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            values, uploads = await read_params(request)
            chat_id = self._chat_id_of(values.get("chat_id"))
            self._check_injected(name, chat_id)
            await self._until_released(chat_id, self._notify)
            result = await handler(Params(values, uploads))
        except ApiError as error:
            self.rejected.append(RejectedRecord(name, chat_id, error.error_code, error.description))
            return _error_response(error)
        except Exception as exc:
            log.exception("sandbox: %s failed", name)
            error = bad(f"the sandbox could not process the request: {exc!r}")
            self.rejected.append(RejectedRecord(name, chat_id, error.error_code, error.description))
            return _error_response(error)
        finally:
            self._notify()
        return web.json_response({"ok": True, "result": result})

    def _serve_file(self, token: str, file_path: str) -> web.Response:
        if token != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self.files.get(file_path.rpartition("/")[2])
        if stored is None:
            return _error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.error_code)
