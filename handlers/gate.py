"""The first handlers every update meets: flood limit, then re-delivered updates act once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.i18n import texts
from bot.members import language_for
from bot.updates import handler_name
from handlers.common import BotContext

FLOOD_GROUP = -20
DEDUP_GROUP = -10


async def limit_flood(update: Update, context: BotContext) -> None:
    """Drop a person's excess updates before any database work, warning once a window."""
    user = update.effective_user
    if user is None:
        return
    services = context.services
    verdict = services.flood.check(user.id, services.clock.now())
    if verdict.allowed:
        return
    handler_name.set("gate.limit_flood")
    if verdict.warn and update.effective_chat is not None:
        language = language_for(None, user.language_code, services.settings.default_language)
        await update.effective_chat.send_message(texts(language)("flood.warning"))
    raise ApplicationHandlerStop


async def deduplicate(update: Update, context: BotContext) -> None:
    """Stop an update whose id was already acted on."""
    services = context.services
    if not await services.repos.updates.claim(update.update_id, services.clock.now()):
        handler_name.set("gate.deduplicate")
        raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, limit_flood), group=FLOOD_GROUP)
    application.add_handler(TypeHandler(Update, deduplicate), group=DEDUP_GROUP)
