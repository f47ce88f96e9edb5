"""Recurring work on PTB's job queue (APScheduler); what it acts on is in the database.

Several bot processes may share one database (webhook replicas, SPEC §11): one of them, the
leader, runs the jobs. It holds a lease row (storage/leases.py) and renews it three times a
lease; when it dies, another takes the lease once it has expired and runs every job at once."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram.ext import Application, ContextTypes

from bot.infra.clock import Clock
from bot.infra.flood import WINDOW
from storage.leases import LeaseRepository

log = logging.getLogger("coalition.scheduling")

HOUSEKEEPING = "needs-housekeeping"
DIGESTS = "digests"
EVENT_DUES = "event-dues"
RETENTION = "retention"
LEASE = "scheduler-lease"
JOBS = (HOUSEKEEPING, EVENT_DUES, DIGESTS, RETENTION)

Job = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Leadership:
    """Whether this process runs the scheduled jobs, by the "scheduler" lease."""

    NAME = "scheduler"

    def __init__(self, leases: LeaseRepository, clock: Clock, lease_seconds: float) -> None:
        self._leases = leases
        self._clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._until: datetime | None = None

    async def renew(self) -> bool:
        """Take or renew the lease; True when this process has just become the leader."""
        now = self._clock.now()
        was_leading = self._until is not None
        held = await self._leases.hold(self.NAME, self.holder, now, now + self.lease)
        self._until = now + self.lease if held else None
        if held and not was_leading:
            log.info("scheduler: this process leads (%s)", self.holder)
        elif was_leading and not held:
            log.warning("scheduler: the lease went to another process")
        return held and not was_leading

    async def leads(self) -> bool:
        """Whether to run a job now: only under a lease not yet expired by this clock, so a
        leader that stalled past its lease does not run beside the one that took over."""
        if self._until is None or self._clock.now() >= self._until:
            await self.renew()
        return self._until is not None

    async def release(self) -> None:
        if self._until is not None:
            self._until = None
            await self._leases.release(self.NAME, self.holder)


def _led(job: Job) -> Job:
    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        if await context.application.bot_data["services"].leadership.leads():
            await job(context)

    return run


@_led
async def _needs_housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.bot_data["services"].needs.housekeeping()


@_led
async def _event_dues(context: ContextTypes.DEFAULT_TYPE) -> None:
    services = context.application.bot_data["services"]
    await services.events.run_dues()
    await services.shifts.run_dues()


@_led
async def _digests(context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.bot_data["services"].digests.tick()


@_led
async def _retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep no more than needed: old recipient rows, texts of finished reminders and venue
    reveals, expired invites, old re-delivery guards and idle flood windows go."""
    services = context.application.bot_data["services"]
    await services.delivery.prune()
    await services.repos.organisations.prune_invites(services.clock.now())
    await services.repos.updates.prune(services.clock.now())
    await services.repos.flood.prune(services.clock.now() - WINDOW)


async def _lease(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Renew the lease, or take it from a leader that died; a new leader runs every job now
    (what fell due while nobody led)."""
    if await context.application.bot_data["services"].leadership.renew():
        for name in JOBS:
            for job in context.job_queue.get_jobs_by_name(name):
                await job.run(context.application)


def schedule(application: Application) -> None:
    """(Re)create the recurring jobs: they keep no state, so a restart loses nothing."""
    leadership: Leadership = application.bot_data["services"].leadership
    # At once when the scheduler starts (a `first` already past when it starts would wait a
    # whole interval): the process that takes the lease runs every job, so also at start.
    application.job_queue.run_repeating(
        _lease, interval=leadership.lease / 3, name=LEASE,
        job_kwargs={"id": LEASE, "replace_existing": True,
                    "next_run_time": datetime.now(application.job_queue.scheduler.timezone)},
    )
    application.job_queue.run_repeating(
        _needs_housekeeping, interval=timedelta(hours=1), first=0, name=HOUSEKEEPING,
        job_kwargs={"id": HOUSEKEEPING, "replace_existing": True, "misfire_grace_time": 3600},
    )
    application.job_queue.run_repeating(
        _event_dues, interval=timedelta(minutes=1), first=0, name=EVENT_DUES,
        job_kwargs={"id": EVENT_DUES, "replace_existing": True, "misfire_grace_time": 60},
    )
    # Every minute, and at start: a digest missed while the bot was down goes out (§7.4).
    application.job_queue.run_repeating(
        _digests, interval=timedelta(minutes=1), first=0, name=DIGESTS,
        job_kwargs={"id": DIGESTS, "replace_existing": True, "misfire_grace_time": 60},
    )
    application.job_queue.run_repeating(
        _retention, interval=timedelta(days=1), first=0, name=RETENTION,
        job_kwargs={"id": RETENTION, "replace_existing": True, "misfire_grace_time": 86400},
    )
