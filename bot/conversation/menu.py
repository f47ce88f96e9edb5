"""The commands menu: /help's list and Telegram's menu, per language and per role."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.conversation.roles import Command, Role, commands_for
from bot.conversation.session import Session
from bot.infra.config import LANGUAGES
from bot.infra.i18n import Html, Texts, texts


def command_list(texts: Texts, session: Session) -> Html:
    """One line a command this person can use now: "/name — what it does"."""
    return Html("\n".join(
        texts("help.line", command=f"/{command.name}", description=texts(f"command.{command.name}"))
        for command in session.commands()
    ))


def _bot_commands(texts: Texts, commands: list[Command]) -> list[BotCommand]:
    return [BotCommand(command.name, texts(f"command.{command.name}")) for command in commands]


async def set_default_commands(bot: Bot, default_language: str) -> None:
    """Members' menu for each language Telegram clients may have, and the fallback."""
    scope, members = BotCommandScopeDefault(), commands_for(Role.MEMBER)
    for language in LANGUAGES:
        await bot.set_my_commands(_bot_commands(texts(language), members), scope, language)
    await bot.set_my_commands(_bot_commands(texts(default_language), members), scope)


async def set_chat_commands(bot: Bot, session: Session) -> None:
    """One person's menu, in their language and for their role at this moment."""
    await bot.set_my_commands(
        _bot_commands(session.texts, session.commands()), BotCommandScopeChat(session.user.tg_id)
    )
