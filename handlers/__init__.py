"""Telegram handlers, one module per feature; thin: parse → service → render."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    announcements,
    coordinators,
    digests,
    errors,
    events,
    fallback,
    gate,
    general,
    needs,
    organisations,
    privacy,
    relay,
    settings,
    shifts,
)


def register(application: Application) -> None:
    """Every handler, in order: the gate first, features next, fallbacks last."""
    gate.register(application)
    general.register(application)
    settings.register(application)
    organisations.register(application)
    coordinators.register(application)
    privacy.register(application)
    announcements.register(application)
    needs.register(application)
    relay.register(application)
    digests.register(application)
    events.register(application)
    shifts.register(application)
    fallback.register(application)
    errors.register(application)
