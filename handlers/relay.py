"""Relayed conversations: Write to helper / Write to organisers / Reply, and /myoffers."""

from __future__ import annotations

from telegram.ext import Application

from bot.conversation import callbacks
from handlers.common import add_routes, button, command, edit

ROUTES = (
    # The offers of help I made, their state, and a way to write to the organisers.
    command("myoffers", lambda s, session: s.relays.my_offers(session, 0)),
    button(callbacks.MyOffersPage,
           lambda s, session, press: s.relays.my_offers(session, press.page), reply=edit),
    button(callbacks.MyOffer, lambda s, session, press: s.relays.my_offer(session, press.offer_id)),
    # Ask for the text to relay; who may write (that offer's helper, its organisation's
    # organisers) is checked by the service, at the press and again as it sends.
    button(callbacks.RelayWrite, lambda s, session, press: s.relays.write_about_offer(
        session, press.to, press.offer_id)),
)


def register(application: Application) -> None:
    add_routes(application, __name__, ROUTES)
