"""The Telegram bot the services talk through, known only once the application has started."""

from __future__ import annotations

from telegram import Bot


class BotLink:
    """Handed to the services that call Telegram themselves (menus, status edits, links) when
    they are built; connected to the application's bot at start-up."""

    def __init__(self) -> None:
        self._bot: Bot | None = None

    def connect(self, bot: Bot) -> None:
        self._bot = bot

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("services are not open")
        return self._bot
