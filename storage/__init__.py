"""Storage: SQLAlchemy 2 async models, Alembic migrations, repositories, crypto and audit.

Errors raised here derive from `bot.errors.RelaisError` (storage is part of the application).
"""
