"""Who may have a dialog's pocket card (`dialog.card`): the policy table, role x relation to the
dialog (audience / other), checked through the use case; allowed and refused calls audited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from bot.app import Relais
from bot.cards.usecases import dialog_relation
from bot.errors import NotAllowed
from bot.policy import POLICY, Action, Relation, Role
from dialogs import load_library
from tests.storage.helpers import enrol

CONTENT = Path(__file__).resolve().parents[2] / "content"


async def _audit(relais: Relais) -> list[tuple[str, str, str]]:
    async with relais.db.begin() as conn:
        rows = await conn.execute(
            text("select action, outcome, detail from audit_log order by seq")
        )
        return [(r[0], r[1], r[2] or "") for r in rows if r[0] == "dialog.card"]


async def test_card_contacts_follow_the_policy_table(relais: Relais) -> None:
    crisis = load_library(CONTENT / "dialogs").library.get("crisis")
    assert crisis is not None
    for_psychologists = replace(crisis, id="clinical", audience=("psychologist",))
    await relais.ensure_team("North")
    await relais.import_contacts(
        {"contact": [{"key": "e", "role": "emergency", "name": "Urgences", "phone": "112"}]},
        team="North",
    )
    checked = mismatches = 0
    for role in Role:
        actor = await enrol(relais, f"P {role.value}", role.value)
        for dialog in (crisis, for_psychologists):
            (relation,) = dialog_relation(dialog, actor)
            expected = POLICY[(role, Action.POCKET_CARD, relation)]
            try:
                contacts = await relais.card_contacts(actor, dialog, "fr")
            except NotAllowed:
                allowed = False
            else:
                allowed = True
                assert [(c.role, c.name, c.phone) for c in contacts] == [
                    ("emergency", "Urgences", "112")
                ]
            checked += 1
            mismatches += allowed != expected
    assert checked == 2 * len(Role)
    assert mismatches == 0
    # whoever may open a dialog may print its card (the same answers as dialog.open)
    for role in Role:
        for relation in (Relation.AUDIENCE, Relation.OTHER):
            assert (
                POLICY[(role, Action.POCKET_CARD, relation)]
                == POLICY[(role, Action.OPEN_DIALOG, relation)]
            )
    audited = await _audit(relais)
    assert len(audited) == checked
    refused = [a for a in audited if a[1] == "denied"]
    # a mentor, a social worker and a coordinator are not the audience of a psychologists' dialog
    assert len(refused) == 3
    allowed_entries = [a for a in audited if a[1] == "ok"]
    assert '"dialog":"crisis"' in allowed_entries[0][2].replace(" ", "")
    assert '"lang":"fr"' in allowed_entries[0][2].replace(" ", "")
