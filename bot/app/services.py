"""The services handlers talk to, built once per application and opened at start-up."""

from __future__ import annotations

import contextlib

from telegram import Bot

from bot.app.scheduling import Leadership
from bot.conversation.dialogue import Dialogues
from bot.features.announcements import Announcements
from bot.features.campaigns import Campaigns
from bot.features.channel import Channel
from bot.features.coordinators import Coordinators
from bot.features.digests import Digests
from bot.features.events import Events
from bot.features.members import Members
from bot.features.needs import Needs
from bot.features.notices import Notices
from bot.features.organisations import Organisations
from bot.features.posts import Posts
from bot.features.privacy import Privacy
from bot.features.relay import Relays
from bot.features.shifts import Shifts
from bot.infra.botlink import BotLink
from bot.infra.clock import Clock, SystemClock
from bot.infra.config import Settings
from bot.infra.delivery import DeliveryQueue, courier_for
from bot.infra.flood import FloodGuard, SharedFloodGuard
from storage.backend import open_database
from storage.deliveries import IN_PROCESS
from storage.repositories import Repositories
from storage.schema import migrate


class Services:
    def __init__(
        self, settings: Settings, clock: Clock | None = None, *, local_sender: bool = True
    ) -> None:
        """`local_sender`: the delivery queue sends from this process; otherwise sender
        processes do (bot/app/senders.py) and this one only enqueues and follows progress."""
        self.settings = settings
        self.local_sender = local_sender
        self.clock: Clock = clock or SystemClock()
        self.database = open_database(path=settings.database_path, url=settings.database_url)
        self.repos = Repositories(self.database, settings.default_language)
        # In memory when this process is the only one; in the database when several may share
        # it (PostgreSQL), under the person's lock each update is handled with.
        self.flood = (FloodGuard(settings.flood_limit) if self.database.dialect == "sqlite"
                      else SharedFloodGuard(self.repos.flood, settings.flood_limit))
        self.leadership = Leadership(self.repos.leases, self.clock, settings.scheduler_lease)
        self.delivery = DeliveryQueue(self.repos.deliveries, self.clock,
                                      rate=settings.broadcast_rate,
                                      owner=settings.sender_name(IN_PROCESS),
                                      channel=settings.channel_id)
        self.link = BotLink()
        repos, database, clock = self.repos, self.database, self.clock
        self.dialogues = Dialogues(repos.dialogues, database, clock)
        self.members = Members(
            repos.users, self.dialogues, clock, self.link,
            default_language=settings.default_language,
            default_timezone=settings.default_timezone)
        self.notices = Notices(repos.users, self.delivery,
                               default_language=settings.default_language)
        self.channel = Channel(repos.deliveries, self.delivery, repos.users, self.notices,
                               channel_id=settings.channel_id,
                               language=settings.default_language)
        self.delivery.when_channel_lost(self.channel.report_lost)
        self.coordinators = Coordinators(
            database, repos.users, repos.coordinator_grants, repos.audit, self.dialogues,
            self.members, self.notices, clock, self.link, configured=settings.coordinator_ids,
            four_eyes=settings.four_eyes)
        self.announcements = Announcements(
            database, repos.deliveries, repos.announcements, repos.users, repos.audit,
            self.delivery, self.dialogues, self.members, self.notices, clock, self.link,
            four_eyes=settings.four_eyes, cancel_window=settings.broadcast_cancel_window,
            per_hour=settings.broadcasts_per_hour, channel=self.channel.enabled)
        self.events = Events(repos.events, repos.shifts, self.dialogues, self.members,
                             self.notices, database, clock, self.channel)
        self.organisations = Organisations(
            database, repos.organisations, repos.users, repos.audit, self.dialogues,
            self.members, self.notices, clock, self.link, self.events.show_organisation_on_channel,
            approvals_required=settings.org_approvals_required)
        self.shifts = Shifts(repos.shifts, repos.events, self.dialogues, self.members,
                             self.notices, database, clock, per_event=settings.shifts_per_event)
        self.needs = Needs(repos.needs, repos.organisations, self.dialogues, self.members,
                           self.notices, database, clock)
        self.relays = Relays(repos.relay, repos.needs, repos.events, repos.shifts,
                             repos.organisations, self.dialogues, self.members, self.notices,
                             self.announcements, clock)
        self.digests = Digests(repos.digests, repos.users, repos.audit, self.dialogues,
                               self.members, self.delivery, database, clock,
                               default_language=settings.default_language,
                               default_timezone=settings.default_timezone)
        self.campaigns = Campaigns(repos.events, repos.shifts, repos.audit, self.dialogues,
                                   self.members, clock)
        self.posts = Posts(repos.needs, repos.events, repos.organisations, repos.audit,
                           self.dialogues, self.notices, database, clock,
                           self.events.show_on_channel)
        self.members.show_in_settings(self.digests.settings_line)
        self.privacy = Privacy(database, repos.personal, repos.deliveries, self.events,
                               self.shifts, self.members, self.flood, clock)

    async def open(self, bot: Bot) -> None:
        """Open the database, migrate, apply configured coordinators, resume sending."""
        self.link.connect(bot)
        await self.database.open()
        await migrate(self.database)
        await self.coordinators.apply_configured()
        settings = self.settings
        if self.local_sender:
            await self.delivery.start(courier_for(
                settings.token(), settings.telegram_api_base_url, settings.broadcast_rate))
        await self.announcements.resume_reporting()

    async def close(self) -> None:
        """Finish what is in flight, then close the database: each step runs even if an
        earlier one failed."""
        async with contextlib.AsyncExitStack() as steps:
            steps.push_async_callback(self.database.close)
            # Handed over at a clean stop: another process takes the jobs at its next renewal.
            steps.push_async_callback(self.leadership.release)
            steps.push_async_callback(self.delivery.stop)
            await self.announcements.stop_reporting()
