"""The services handlers talk to, built once per application and opened at start-up."""

from __future__ import annotations

import contextlib

from telegram import Bot

from bot.conversation.dialogue import Dialogues
from bot.features.announcements import Announcements
from bot.features.campaigns import Campaigns
from bot.features.coordinators import Coordinators
from bot.features.digests import Digests
from bot.features.events import Events
from bot.features.members import Members
from bot.features.needs import Needs
from bot.features.notices import Notices
from bot.features.organisations import Organisations
from bot.features.posts import Posts
from bot.features.privacy import Privacy
from bot.infra.clock import Clock, SystemClock
from bot.infra.config import Settings
from bot.infra.delivery import DeliveryQueue, courier_for
from bot.infra.flood import FloodGuard
from storage.database import Database
from storage.repositories import Repositories
from storage.schema import migrate


class Services:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.database = Database(settings.database_path)
        self.repos = Repositories(self.database, settings.default_language)
        self.flood = FloodGuard()
        self.delivery = DeliveryQueue(self.repos.deliveries, self.clock,
                                      rate=settings.broadcast_rate)
        repos, database, clock = self.repos, self.database, self.clock
        self.dialogues = Dialogues(repos.dialogues, database, clock)
        self.members = Members(self)
        self.notices = Notices(self)
        self.organisations = Organisations(self)
        self.coordinators = Coordinators(self)
        self.events = Events(repos.events, self.dialogues, self.members, self.notices, database,
                             clock)
        self.privacy = Privacy(self)
        self.announcements = Announcements(self)
        self.needs = Needs(repos.needs, repos.organisations, self.dialogues, self.members,
                           self.notices, database, clock)
        self.digests = Digests(repos.digests, repos.users, repos.audit, self.dialogues,
                               self.members, self.delivery, database, clock,
                               default_language=settings.default_language,
                               default_timezone=settings.default_timezone)
        self.campaigns = Campaigns(repos.events, repos.audit, self.dialogues, self.members, clock)
        self.posts = Posts(repos.needs, repos.events, repos.organisations, repos.audit,
                           self.dialogues, self.notices, database, clock)
        self._bot: Bot | None = None

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("services are not open")
        return self._bot

    @property
    def bot_username(self) -> str:
        return self.bot.username

    async def open(self, bot: Bot) -> None:
        """Open the database, migrate, apply configured coordinators, resume sending."""
        self._bot = bot
        await self.database.open()
        await migrate(self.database)
        await self.coordinators.apply_configured()
        settings = self.settings
        await self.delivery.start(courier_for(
            settings.token(), settings.telegram_api_base_url, settings.broadcast_rate))
        await self.announcements.resume_reporting()

    async def close(self) -> None:
        """Finish what is in flight, then close the database: each step runs even if an
        earlier one failed."""
        async with contextlib.AsyncExitStack() as steps:
            steps.push_async_callback(self.database.close)
            steps.push_async_callback(self.delivery.stop)
            await self.announcements.stop_reporting()
