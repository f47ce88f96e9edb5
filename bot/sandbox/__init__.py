"""Offline stand-in for Telegram: a Bot API server and a terminal chat."""
