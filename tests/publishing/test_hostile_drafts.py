"""A hostile draft sent through the chat is refused with the checker's located diagnostics,
before anything in it is compiled or run: no memory blow-up, no loop, no backtracking."""

from __future__ import annotations

import time

import pytest

from tests.publishing.conftest import PubWorld, texts
from tests.publishing.test_chat_workflow import TIPS

ASK = """  ask:
    kind: input
    text: {en: "Name?", fr: "Nom ?"}
    var: name
    validate: {pattern: 'PATTERN'}
    next: done
"""


@pytest.mark.parametrize(
    ("hostile", "where", "code"),
    [
        # the case: compiling it (Jinja folds constants) allocated a gigabyte
        (TIPS.replace("How are you doing?", "How are you {{ 'x' * 10**9 }}?"), ":15:", "RD121"),
        (
            TIPS.replace(
                "Take care.",
                "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}"
                "{% endfor %}Take care.",
            ),
            ":35:",
            "RD120",
        ),
        (TIPS.replace("Talk to someone.", "{{ ''.__class__ }}"), ":31:", "RD121"),
        (TIPS + ASK.replace("PATTERN", r"(\w+)\1"), ":40:", "RD125"),
        # the walk typed an answer of min_length characters: 2 GB
        (
            TIPS + ASK.replace("{pattern: 'PATTERN'}", "{min_length: 2000000000}"),
            ":40:",
            "RD045",
        ),
    ],
)
async def test_a_hostile_draft_is_refused_located_and_nothing_is_kept(
    world: PubWorld, hostile: str, where: str, code: str
) -> None:
    started = time.perf_counter()
    replies = await world.upload("pia", "tips.yaml", hostile)
    assert time.perf_counter() - started < 5
    body = texts(replies)
    assert f"tips.yaml{where}" in body
    assert f"{code} error" in body
    assert "Draft ready" not in body
    assert "There are no open drafts." in texts(await world.chat("pia").say("/draft"))
