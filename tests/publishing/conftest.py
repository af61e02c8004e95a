"""A chat world with publishing: the chat layer, a `PublishingService` and two psychologists.

world.chat("pia")      psychologist (author)        world.chat("paul")  psychologist
world.chat("alex")     mentor on case K-1           world.chat("sam")   social worker
world.chat("cora")     coordinator                  world.chat("ada")   admin
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.messages import Document, Incoming, Reply
from bot.publishing.service import PublishingService
from bot.usecases.base import Actor
from tests.chat.conftest import CONTENT, Chat, texts

__all__ = ["CRISIS", "PubWorld", "approve", "texts"]

CHAT_DATA = Path(__file__).resolve().parents[1] / "chat" / "data"
CRISIS = (CHAT_DATA / "dialogs" / "crisis.yaml").read_text("utf-8")
_events = itertools.count(1)

PEOPLE = {
    "cora": "coordinator",
    "alex": "mentor",
    "sam": "social_worker",
    "pia": "psychologist",
    "paul": "psychologist",
    "ada": "admin",
}


@dataclass
class PubWorld:
    relais: Relais
    service: ChatService
    publishing: PublishingService
    dialogs: DialogRegistry
    clock: FakeClock
    config: Config
    content: Path
    chats: dict[str, Chat]
    actors: dict[str, Actor]

    def chat(self, name: str) -> Chat:
        return self.chats[name]

    async def upload(self, name: str, file_name: str, data: bytes | str) -> list[Reply]:
        raw = data.encode("utf-8") if isinstance(data, str) else data

        async def fetch() -> bytes:
            return raw

        chat = self.chats[name]
        incoming = Incoming(
            channel=chat.channel,
            chat_id=f"chat-{chat.user_id}",
            user_id=chat.user_id,
            event_id=f"doc{next(_events)}",
            received_at=self.clock.now(),
            document=Document(file_name, len(raw), fetch),
        )
        chat.last = await self.service.handle(incoming)
        return chat.last


async def approve(publishing: PublishingService, actor: Actor, dialog_id: str) -> None:
    """A reviewer reads the draft (`/review`), then approves that revision."""
    await publishing.draft_for_review(actor, dialog_id)
    await publishing.review_draft(actor, dialog_id, True, "")


def make_content(tmp_path: Path) -> Path:
    """The chat tests' small content (one `crisis` dialog) with the real roles and catalog."""
    content = tmp_path / "content"
    shutil.copytree(CHAT_DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    return content


async def open_world(
    relais: Relais, config: Config, clock: FakeClock, content: Path, *, enrol: bool = True
) -> PubWorld:
    dialogs = DialogRegistry.from_content(content)
    publishing = PublishingService(relais, dialogs, config, clock)
    await publishing.load_published()
    service = ChatService(
        relais, dialogs, Catalog.load(content), clock, config, publishing=publishing
    )
    world = PubWorld(relais, service, publishing, dialogs, clock, config, content, {}, {})
    for name in PEOPLE:
        world.chats[name] = Chat(service, clock, f"user-{name}")
    if enrol:
        await relais.ensure_team("Team A")
        for name, role in PEOPLE.items():
            invite = await relais.create_invite(role=role, name=name.title(), team="Team A")
            replies = await world.chats[name].say(f"/start {invite.code}")
            assert "Welcome" in texts(replies), texts(replies)
        await relais.create_case("K-1", owner="Cora", team="Team A")
        await relais.add_member("K-1", "Alex", role="mentor")
    for name in PEOPLE:
        actor = await relais.identify("console", f"user-{name}")
        if actor is not None:
            world.actors[name] = actor
    return world


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return make_content(tmp_path)


@pytest.fixture
def pub_config(
    sqlite_url: str, tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch
) -> Config:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(content),
        storage=StorageConfig(url=sqlite_url),
        publishing=PublishingConfig(reviewers_required=1, max_file_bytes=20_000),
    )


@pytest.fixture
async def world(pub_config: Config, clock: FakeClock, content: Path) -> AsyncIterator[PubWorld]:
    async with await Relais.open(pub_config, clock) as relais:
        yield await open_world(relais, pub_config, clock, content)
