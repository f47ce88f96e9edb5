"""The application factory and the start-up/shutdown shared by polling, webhook and tests."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, ExtBot

import handlers
from bot.app.scheduling import schedule
from bot.app.senders import SenderProcesses
from bot.app.services import Services
from bot.conversation.menu import set_default_commands
from bot.infra.clock import Clock
from bot.infra.config import Settings
from bot.infra.updates import UpdateProcessor
from handlers.common import BotContext, services_of

log = logging.getLogger("coalition")


def build_application(
    settings: Settings, clock: Clock | None = None, *, senders: int = 0
) -> Application:
    """The real bot: python-telegram-bot Application with every handler registered.

    `senders` > 0: that many sender processes send the delivery queue, started and stopped
    with the Application; 0: it sends in this process."""
    processor = UpdateProcessor()
    application = (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.default_timezone)))
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .post_init(start)
        .post_shutdown(stop)
        .build()
    )
    services = Services(settings, clock, local_sender=not senders)
    services.delivery.give_way_to(processor.handling)
    processor.person = services.database.person
    processor.after = services.flood.keep
    application.bot_data["services"] = services
    application.bot_data["senders"] = SenderProcesses(
        [settings.sender_name(f"sender-{number}") for number in range(1, senders + 1)],
        processor.handling)
    handlers.register(application)
    return application


async def start(application: Application) -> None:
    """Open the database, migrate, and set the commands menus."""
    services = services_of(application)
    bot = application.bot
    await services.open(bot)
    await set_default_commands(bot, services.settings.default_language)
    for tg_id in await services.repos.users.coordinator_ids():
        await services.members.refresh_menu(tg_id)
    schedule(application)
    application.bot_data["senders"].start()
    log.info("started as @%s", bot.username)


async def stop(application: Application) -> None:
    """Stop the sender processes, then close the database once every update in flight is done."""
    try:
        await application.bot_data["senders"].stop()
    finally:
        await services_of(application).close()


@asynccontextmanager
async def polling(application: Application) -> AsyncIterator[Application]:
    """Run the bot inside the current event loop, as `run_polling` does (sandbox and tests)."""
    await application.initialize()
    try:
        await start(application)
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        yield application
    finally:
        # Also after a failed start: an open database connection would keep the process alive.
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await stop(application)
        await application.shutdown()


def run_webhook(application: Application, settings: Settings, listen: str = "127.0.0.1") -> None:
    """Serve Telegram's webhook on WEBHOOK_PORT, at the path of WEBHOOK_URL, until SIGINT or
    SIGTERM; requests without the WEBHOOK_SECRET header are refused with 403."""
    url, path, secret = settings.webhook()
    _check_secret_in_constant_time()
    _answer_once_handled(application.update_processor)
    application.run_webhook(
        listen=listen, port=settings.webhook_port, url_path=path, webhook_url=url,
        secret_token=secret, allowed_updates=Update.ALL_TYPES,
    )


def _answer_once_handled(processor: UpdateProcessor) -> None:
    """python-telegram-bot answers Telegram's post as soon as the update is queued. Telegram
    sends a chat's next update only once the previous one was answered, so answering after
    the update is handled keeps one person's updates in order even when replicas behind one
    URL receive them: the next one reaches a replica only after this one is done."""
    from http import HTTPStatus

    from telegram.ext._utils.webhookhandler import TelegramHandler
    from tornado.web import HTTPError

    async def post(handler: TelegramHandler) -> None:
        handler._validate_post()
        try:
            update = Update.de_json(json.loads(handler.request.body.decode()), handler.bot)
        except Exception as error:
            raise HTTPError(HTTPStatus.BAD_REQUEST, reason="Update could not be processed") \
                from error
        if update:
            if isinstance(handler.bot, ExtBot):
                handler.bot.insert_callback_data(update)
            finished = processor.finished(update)
            await handler.update_queue.put(update)
            await finished
        handler.set_status(HTTPStatus.OK)

    TelegramHandler.post = post


def _check_secret_in_constant_time() -> None:
    """python-telegram-bot 22 compares the secret-token header with `!=`, whose time leaks how
    much of a guess was right (and logs a wrong token); put a constant-time check in its place."""
    from telegram.ext._utils.webhookhandler import TelegramHandler
    from tornado.web import HTTPError

    def validate_post(handler: TelegramHandler) -> None:
        if handler.request.headers.get("Content-Type") != "application/json":
            raise HTTPError(403)
        if handler.secret_token is not None:
            given = handler.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), handler.secret_token.encode()):
                raise HTTPError(403, reason="Request had no or a wrong secret token")

    TelegramHandler._validate_post = validate_post
