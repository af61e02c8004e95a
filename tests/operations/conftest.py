"""The check-in harness (a team on a real database, recording channels) for these tests too."""

from tests.checkins.conftest import sqlite_relais, start_clock, team

__all__ = ["sqlite_relais", "start_clock", "team"]
