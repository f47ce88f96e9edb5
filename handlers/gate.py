"""The first handler every update meets: an update Telegram delivers twice acts once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.common import BotContext, named

GROUP = -10


@named
async def deduplicate(update: Update, context: BotContext) -> None:
    """Stop an update whose id was already acted on."""
    services = context.services
    if not await services.repos.updates.claim(update.update_id, services.clock.now()):
        raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, deduplicate), group=GROUP)
