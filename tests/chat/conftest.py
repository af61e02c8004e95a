"""The chat layer on a real database (SQLite) with a small world of people and cases.

`chat_world` gives a `ChatService` plus enrolled practitioners; `Chat` plays one of them:

    alex = world.chat("alex")                 # a mentor, member of case K-1
    replies = await alex.say("/crisis")
    replies = await alex.press(replies[0].buttons[1].token)
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.clock import FakeClock
from bot.config import Config, StorageConfig, TelegramConfig
from bot.messages import Incoming, Reply

CONTENT = Path(__file__).resolve().parents[2] / "content"
DATA = Path(__file__).resolve().parent / "data"
_events = itertools.count(1)


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


@dataclass
class Chat:
    service: ChatService
    clock: FakeClock
    user_id: str
    channel: str = "console"
    encrypted: bool = True
    #: what the adapter declares (None: as encrypted, as the adapters do without allow_case_notes)
    confidential: bool | None = None
    is_direct: bool = True
    last: list[Reply] = field(default_factory=list)

    async def send(self, *, text: str | None = None, button: str | None = None) -> list[Reply]:
        incoming = Incoming(
            channel=self.channel,
            chat_id=f"chat-{self.user_id}",
            user_id=self.user_id,
            event_id=f"e{next(_events)}",
            received_at=self.clock.now(),
            text=text,
            button=button,
            is_direct=self.is_direct,
            encrypted=self.encrypted,
            confidential=self.encrypted if self.confidential is None else self.confidential,
            encryption_required=self.channel == "matrix",  # as the Matrix adapter declares it
        )
        self.last = await self.service.handle(incoming)
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self.send(text=text)

    async def press(self, label_or_token: str) -> list[Reply]:
        """Press a button of the last replies, by its label (or pass a raw token)."""
        for reply in reversed(self.last):
            for button in reply.buttons:
                if label_or_token in (button.label, button.token):
                    return await self.send(button=button.token)
        return await self.send(button=label_or_token)

    def buttons(self) -> list[str]:
        return [b.label for r in self.last for b in r.buttons]


@dataclass
class World:
    relais: Relais
    service: ChatService
    clock: FakeClock
    config: Config
    chats: dict[str, Chat] = field(default_factory=dict)

    def chat(self, name: str, **kwargs: object) -> Chat:
        if name not in self.chats or kwargs:
            self.chats[name] = Chat(self.service, self.clock, f"user-{name}", **kwargs)  # type: ignore[arg-type]
        return self.chats[name]


def make_config(url: str, tmp_path: Path, **telegram: object) -> Config:
    return Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(CONTENT),
        storage=StorageConfig(url=url),
        telegram=TelegramConfig(**telegram),  # type: ignore[arg-type]
    )


async def build_world(relais: Relais, config: Config, clock: FakeClock, content: Path) -> World:
    dialogs = DialogRegistry.from_content(content)
    service = ChatService(relais, dialogs, Catalog.load(CONTENT), clock, config)
    world = World(relais, service, clock, config)
    await relais.ensure_team("Team A")
    people = {
        "cora": "coordinator",
        "alex": "mentor",
        "sam": "social_worker",
        "pia": "psychologist",
    }
    for name, role in people.items():
        invite = await relais.create_invite(role=role, name=name.title(), team="Team A")
        chat = world.chat(name)
        replies = await chat.say(f"/start {invite.code}")
        assert "Welcome" in texts(replies), texts(replies)
    await relais.create_case("K-1", owner="Cora", team="Team A")
    await relais.add_member("K-1", "Alex", role="mentor")
    await relais.create_case("K-2", owner="Cora", team="Team A")
    await relais.import_contacts(
        {
            "contact": [
                {"key": "sos", "role": "emergency", "name": "Emergency services", "phone": "112"},
                {
                    "key": "martin",
                    "role": "on_call_psychologist",
                    "name": "Dr Martin",
                    "phone": "+33 1 00 00 00 01",
                    "hours": "24/7",
                },
            ]
        },
        team="Team A",
    )
    return world


@pytest.fixture
def chat_content(tmp_path: Path) -> Path:
    """Test dialogs (tests/chat/data) with the real contact roles, catalog and templates."""
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    shutil.copytree(CONTENT / "templates", content / "templates")  # documents (review pack)
    return content


@pytest.fixture
async def world(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[World]:
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        yield await build_world(relais, config, clock, chat_content)
