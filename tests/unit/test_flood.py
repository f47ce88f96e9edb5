"""The per-person flood limit: 20 updates in 10 s, one warning a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.infra.flood import FloodGuard

START = datetime(2026, 11, 30, tzinfo=UTC)


def test_twenty_pass_then_one_warning_then_silence() -> None:
    guard = FloodGuard()
    verdicts = [guard.check(1, START + timedelta(milliseconds=n)) for n in range(30)]
    assert [v.allowed for v in verdicts] == [True] * 20 + [False] * 10
    assert [v.warn for v in verdicts[20:]] == [True] + [False] * 9
    assert guard.check(2, START).allowed


def test_the_window_slides() -> None:
    guard = FloodGuard()
    for n in range(20):
        guard.check(1, START + timedelta(seconds=n * 0.1))
    assert not guard.check(1, START + timedelta(seconds=9.9)).allowed
    assert guard.check(1, START + timedelta(seconds=10)).allowed
    assert guard.check(1, START + timedelta(seconds=10.2)).allowed
