"""Repositories: keyword arguments in, frozen values (`storage.records`) out."""

from storage.repos.cases import Cases
from storage.repos.contacts import Contacts
from storage.repos.inbox import Inbox
from storage.repos.notes import Notes
from storage.repos.people import People
from storage.repos.sessions import Sessions

__all__ = ["Cases", "Contacts", "Inbox", "Notes", "People", "Sessions"]
