"""What every handler shares: the typed context, the member behind an update, the role check,
replying, and the tables each feature registers its handlers from."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import CallbackQuery, ReplyKeyboardRemove, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
)

from bot.conversation.callbacks import CallbackData
from bot.conversation.replies import Reply, keyboard
from bot.conversation.roles import Role, command_role
from bot.conversation.session import Session
from bot.infra.updates import handler_name

if TYPE_CHECKING:
    from bot.app.services import Services

log = logging.getLogger("coalition.handlers")


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context, with the application's services at hand."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]


Callback = Callable[[Update, BotContext, Session], Awaitable[None]]


def handler(role: Role = Role.MEMBER, name: str | None = None) -> Callable[[Callback], Callable]:
    """Wrap a callback: name it in the log, build the session, check the role as it runs.

    Every command and every button goes through here, so a forged or stale button never does
    more than its presser's role allows at this moment.
    """

    def wrap(callback: Callback) -> Callable[[Update, BotContext], Awaitable[None]]:
        label = name or f"{callback.__module__.rpartition('.')[2]}.{callback.__name__}"

        @functools.wraps(callback)
        async def run(update: Update, context: BotContext) -> None:
            handler_name.set(label)
            session = await session_of(update, context)
            if not session.may(role):
                await not_available(update, session, role)
                return
            await callback(update, context, session)
            # A command in the middle of a dialogue: afterwards, the open question again.
            if session.dialogue is not None and _is_command(update) and (
                    reminder := await context.services.dialogues.reminder(
                        session, session.dialogue)) is not None:
                await send(update, reminder)

        return run

    return wrap


def _is_command(update: Update) -> bool:
    message = update.message
    return message is not None and (message.text or "").startswith("/")


def services_of(application: Application) -> Services:
    return application.bot_data["services"]


async def session_of(update: Update, context: BotContext) -> Session:
    user = update.effective_user
    assert user is not None
    return await context.services.members.session(user.id, user.language_code, user.username)


async def send(update: Update, reply: Reply) -> None:
    chat = update.effective_chat
    assert chat is not None
    if reply.closing is not None:
        await chat.send_message(reply.closing, reply_markup=ReplyKeyboardRemove())
    message = await chat.send_message(reply.text, reply_markup=keyboard(reply))
    if reply.on_sent is not None:
        await reply.on_sent(message.message_id)


async def acknowledge(query: CallbackQuery, alert: str | None = None) -> None:
    """Stop the button's spinner (or show `alert`).

    Telegram refuses once the press is old ("query is too old", after a backlog); by then the
    action may be done and saved, so its reply must still go out.
    """
    try:
        await query.answer(alert, show_alert=alert is not None)
    except BadRequest as error:
        log.info("press not acknowledged: %s", error.message)


async def answer(update: Update, reply: Reply) -> None:
    """Acknowledge a pressed button, then reply with a new message."""
    await acknowledge(update.callback_query)
    await send(update, reply)


async def not_available(update: Update, session: Session, role: Role = Role.MEMBER) -> None:
    """The answer to a command or button its sender may not (or no longer) use. An organiser
    command is answered with how organisations join, as a coordinator without one is told."""
    if update.callback_query is not None:
        await acknowledge(update.callback_query, session.texts("not_available"))
    elif role is Role.ORGANISER:
        await send(update, Reply(session.texts("organiser.no_organisation")))
    else:
        await send(update, Reply(session.texts("not_available.command")))


async def edit(update: Update, reply: Reply) -> None:
    """Replace the pressed message (a list turning its page) in place, or, when that message
    can no longer be edited (too old, deleted), show the page as a new one."""
    query = update.callback_query
    await acknowledge(query)
    if not query.message.is_accessible:
        await send(update, reply)
        return
    try:
        await query.edit_message_text(reply.text, reply_markup=keyboard(reply))
    except BadRequest as error:
        if "not modified" in error.message.lower():
            return
        log.info("page shown anew, the old message could not be edited: %s", error.message)
        await send(update, reply)


@dataclass(frozen=True)
class Route:
    """One row of a feature's handler table: what triggers it, who may use it, what it does, and
    its name in the log (with the feature's)."""

    name: str
    role: Role
    run: Callback
    command: str | None = None
    pattern: re.Pattern[str] | None = None

    def handler(self, feature: str) -> BaseHandler:
        callback = handler(self.role, f"{feature}.{self.name}")(self.run)
        if self.command is not None:
            return CommandHandler(self.command, callback)
        return CallbackQueryHandler(callback, pattern=self.pattern)


Respond = Callable[[Update, Reply], Awaitable[None]]
Act = Callable[[Update, BotContext, Session, Any], Awaitable[None]]


def command(name: str, call: Callable[[Services, Session], Awaitable[Reply]] | None = None, *,
            act: Callback | None = None) -> Route:
    """A command, with the role bot.conversation.roles.COMMANDS gives it. Either it only
    forwards (`call` makes the reply, which is sent) or `act` is a handler of its own."""
    label = name
    if act is None:
        assert call is not None

        async def act(update: Update, context: BotContext, session: Session) -> None:
            await send(update, await call(context.services, session))
    else:
        label = act.__name__
    return Route(label, command_role(name), act, command=name)


def button(data: type[CallbackData],
           call: Callable[[Services, Session, Any], Awaitable[Reply]] | None = None, *,
           reply: Respond = answer, role: Role = Role.MEMBER, act: Act | None = None,
           only: Mapping[str, Sequence[object]] | None = None) -> Route:
    """A button of `data`'s definition (narrowed by `only`), its press read into that type.
    Either it only forwards (`call` makes the reply; `reply` shows it: a new message by
    default, `edit` in place) or `act` is a handler of its own."""
    name = _snake(data.__name__)
    if act is None:
        assert call is not None

        async def act(update: Update, context: BotContext, session: Session,
                      pressed: Any) -> None:
            await reply(update, await call(context.services, session, pressed))
    else:
        name = act.__name__

    async def run(update: Update, context: BotContext, session: Session) -> None:
        await act(update, context, session, data.parse(context.match))

    return Route(name, role, run, pattern=data.pattern(**(only or {})))


def add_routes(application: Application, module: str, routes: Sequence[Route]) -> None:
    """A feature's table, in its order; `module` (the handlers module) names the feature."""
    feature = module.rpartition(".")[2]
    for route in routes:
        application.add_handler(route.handler(feature))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
