"""Two processes starting at once on a fresh PostgreSQL database both import the bundled
dialogs as version 1: the import is serialized (a transaction lock), so the second finds the
first's versions instead of dying on the (dialog id, version) unique key."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from bot.chat.dialog_registry import DialogRegistry
from bot.clock import FakeClock
from bot.config import Config
from bot.publishing.service import PublishingService
from storage.models import DialogVersionRow
from tests.chat.conftest import CONTENT


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_starts_import_the_bundled_dialogs_once(
    relais: Relais, config: Config, clock: FakeClock
) -> None:
    other = await Relais.open(config, clock)
    try:
        services = [
            PublishingService(app, DialogRegistry.from_content(CONTENT), config, clock)
            for app in (relais, other, relais, other)
        ]
        await asyncio.gather(*(service.load_published() for service in services))
        bundled = len(DialogRegistry.from_content(CONTENT).library.ids())
        async with relais.db.connect() as conn:
            versions = await conn.scalar(select(func.count()).select_from(DialogVersionRow))
        assert versions == bundled
    finally:
        await other.close()
