"""Storage: SQLAlchemy 2 async models, Alembic migrations, repositories, crypto and audit.

Storage imports nothing from `bot` (tests/storage/test_purity.py): the errors it raises are in
`storage.errors` (re-exported by `bot.errors`).
"""
