"""/settings: a menu of buttons, each opening one question that returns to the menu."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation.callbacks import SettingOpen, SettingsMenu
from handlers.common import add_routes, button, command, edit

ROUTES = (
    # The settings menu with the current values.
    command("settings", lambda s, session: s.members.settings_menu(session)),
    # Back from a sub-menu (alerts) to the settings menu, in place.
    button(SettingsMenu, lambda s, session, press: s.members.settings_menu(session),
           reply=edit),
    # The one question behind a settings button.
    button(SettingOpen, lambda s, session, press: s.members.open_setting(
        session, press.setting)),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
