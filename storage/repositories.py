"""All repositories behind one object, handed to services."""

from __future__ import annotations

from storage.announcements import AnnouncementRepository
from storage.audit import AuditRepository
from storage.coordinator_grants import CoordinatorGrantRepository
from storage.database import Database
from storage.deliveries import DeliveryRepository
from storage.dialogues import DialogueRepository
from storage.digests import DigestRepository
from storage.events import EventRepository
from storage.flood import FloodRepository
from storage.leases import LeaseRepository
from storage.needs import NeedRepository
from storage.organisations import OrganisationRepository
from storage.personal import PersonalDataRepository
from storage.relay import RelayRepository
from storage.shifts import ShiftRepository
from storage.updates import UpdateRepository
from storage.users import UserRepository


class Repositories:
    def __init__(self, database: Database, default_language: str = "en") -> None:
        self.database = database
        self.users = UserRepository(database)
        self.updates = UpdateRepository(database)
        self.dialogues = DialogueRepository(database)
        self.organisations = OrganisationRepository(database)
        self.audit = AuditRepository(database)
        self.coordinator_grants = CoordinatorGrantRepository(database)
        self.personal = PersonalDataRepository(database)
        self.deliveries = DeliveryRepository(database, default_language)
        self.announcements = AnnouncementRepository(database)
        self.needs = NeedRepository(database)
        self.relay = RelayRepository(database)
        self.digests = DigestRepository(database)
        self.events = EventRepository(database)
        self.leases = LeaseRepository(database)
        self.flood = FloodRepository(database)
        self.shifts = ShiftRepository(database)
