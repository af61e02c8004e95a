"""A draft sent in chat with errors: the checker's lines as it writes them, then what to do
about each of their codes, once per code, in the sender's language (`[checker]` of the
catalog): French for a French psychologist, the English of `CODES` for an English one."""

from __future__ import annotations

from dialogs.diagnostics import CODES
from tests.publishing.conftest import PubWorld, texts
from tests.publishing.test_chat_workflow import BROKEN

RD024_FR = (
    "RD024 – L'écran visé n'existe pas : Faites pointer `next`/`to` vers un identifiant "
    "d'écran existant (voir l'indication pour un nom proche)."
)
RD010_FR = (
    "RD010 – Clé inconnue : Supprimez la clé ou corrigez son orthographe (voir l'indication)."
)


async def test_a_french_psychologist_reads_what_to_do_in_french(world: PubWorld) -> None:
    await world.chat("pia").say("/lang fr")
    twice = BROKEN.replace("next: help", "next: helper")  # a second RD024
    body = texts(await world.upload("pia", "tips.yaml", twice))
    assert "Rien n'a été enregistré" in body
    # the checker's own lines, as before, then what to do
    assert "tips.yaml:29:11: RD024 error" in body
    assert body.count(": RD024 error") == 2
    lines = body.splitlines()
    assert lines.index("Que faire :") > max(
        i for i, line in enumerate(lines) if line.startswith("tips.yaml:")
    )
    assert lines.count(RD024_FR) == 1
    assert lines.count(RD010_FR) == 1
    assert CODES["RD024"].fix not in body


async def test_an_english_psychologist_reads_the_checker_s_english(world: PubWorld) -> None:
    body = texts(await world.upload("paul", "tips.yaml", BROKEN))
    assert "Nothing was saved" in body
    lines = body.splitlines()
    assert "What to do:" in lines
    rd024 = CODES["RD024"]
    assert lines.count(f"RD024 – {rd024.title}: {rd024.fix}") == 1
    assert "Que faire" not in body
