"""End-to-end tests: real channel adapters (fake Bot API server, real Synapse), real database.

Matrix practitioners here are strict by default (`practitioners`): like current Element with
"exclude insecure devices", they neither hear nor encrypt to a device its owner has not
cross-signed, so a bot that such a client would not hear fails these tests.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.chat.conftest import chat_content
from tests.fakes.synapse import SynapseServer
from tests.matrix.conftest import PractitionerFactory, bots, synapse, unique

__all__ = ["bots", "chat_content", "practitioners", "synapse", "unique"]


@pytest.fixture
async def practitioners(
    synapse: SynapseServer, tmp_path: Path, unique: str
) -> AsyncIterator[PractitionerFactory]:
    factory = PractitionerFactory(synapse, tmp_path / "practitioners", unique, strict=True)
    yield factory
    await factory.close()
