"""Alembic migrations of the Relais schema (one history for SQLite and PostgreSQL)."""
