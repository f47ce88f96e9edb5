"""The first handlers every update meets: only a person's own updates in a private chat, the
flood limit, then re-delivered updates act once; and the last, which records the update."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.features.members import language_for
from bot.infra.i18n import texts
from bot.infra.updates import handler_name
from handlers.common import BotContext

ADMIT_GROUP = -30
FLOOD_GROUP = -20
DEDUP_GROUP = -10
# After every feature handler (all in group 0).
SETTLE_GROUP = 10


async def admit(update: Update, context: BotContext) -> None:
    """Ignore what is not a person writing to the bot in private.

    Channel posts have no person; in a group every reply (a card, /mydata) would reach the whole
    group; and an edited message is not a new answer to the question being asked.
    """
    chat = update.effective_chat
    if (update.effective_user is not None and chat is not None and chat.type == ChatType.PRIVATE
            and update.edited_message is None):
        return
    handler_name.set("gate.admit")
    raise ApplicationHandlerStop


async def limit_flood(update: Update, context: BotContext) -> None:
    """Drop a person's excess updates before any other work, warning once a window."""
    user = update.effective_user
    services = context.services
    verdict = await services.flood.admit(user.id, services.clock.now())
    if verdict.allowed:
        return
    handler_name.set("gate.limit_flood")
    if verdict.warn:
        # Once a window, so reading the chosen language costs the flood nothing.
        stored = await services.repos.users.get(user.id)
        language = language_for(stored, user.language_code, services.settings.default_language)
        await update.effective_chat.send_message(texts(language)("flood.warning"))
    raise ApplicationHandlerStop


async def deduplicate(update: Update, context: BotContext) -> None:
    """Stop an update whose id was already acted on; claim any other."""
    services = context.services
    if await services.repos.updates.seen(update.update_id):
        handler_name.set("gate.deduplicate")
        raise ApplicationHandlerStop
    services.repos.updates.claim(update.update_id, services.clock.now())


async def settle(update: Update, context: BotContext) -> None:
    """Record an update whose handler changed nothing. After a failure there is nothing left to
    record: the error handler abandoned the claim (handlers/errors.py)."""
    await context.services.repos.updates.settle()


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, admit), group=ADMIT_GROUP)
    application.add_handler(TypeHandler(Update, limit_flood), group=FLOOD_GROUP)
    application.add_handler(TypeHandler(Update, deduplicate), group=DEDUP_GROUP)
    application.add_handler(TypeHandler(Update, settle), group=SETTLE_GROUP)
