"""The chat layer asks the policy table what a role may do (issue 15), not a list of roles of
its own: /help's sections for those who draft dialogs and those who see /status."""

from __future__ import annotations

import pytest

from bot.policy import POLICY, Action, Relation, Role
from tests.chat.conftest import World, texts


async def test_help_sections_follow_the_policy_table(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex = world.chat("alex")  # a mentor
    plain = texts(await alex.say("/help"))
    assert "/status" not in plain
    for action in (Action.DRAFT_DIALOG, Action.VIEW_STATUS):
        for relation in Relation:
            monkeypatch.setitem(POLICY, (Role.MENTOR, action, relation), True)
    more = texts(await alex.say("/help"))
    assert "/status" in more
    assert "For psychologists" not in plain
    assert "For psychologists" in more
