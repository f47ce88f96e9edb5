"""Recurring work on PTB's job queue (APScheduler); what it acts on is in the database."""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application, ContextTypes

HOUSEKEEPING = "needs-housekeeping"
DIGESTS = "digests"
EVENT_DUES = "event-dues"
RETENTION = "retention"


async def _needs_housekeeping(context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.bot_data["services"].needs.housekeeping()


async def _event_dues(context: ContextTypes.DEFAULT_TYPE) -> None:
    services = context.application.bot_data["services"]
    await services.events.run_dues()
    await services.shifts.run_dues()


async def _digests(context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.application.bot_data["services"].digests.tick()


async def _retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep no more than needed: old recipient rows, texts of finished reminders and venue
    reveals, expired invites and old re-delivery guards go."""
    services = context.application.bot_data["services"]
    await services.delivery.prune()
    await services.repos.organisations.prune_invites(services.clock.now())
    await services.repos.updates.prune(services.clock.now())


def schedule(application: Application) -> None:
    """(Re)create the recurring jobs: they keep no state, so a restart loses nothing."""
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
