"""`tx.checkin_reads` returns the directory's `Practitioner` (one shape), its name sealed until a
message needs it."""

from __future__ import annotations

import pytest

from bot.app import Relais
from storage.records import SealedName


async def test_batch_lookups_give_practitioners_with_sealed_names(relais: Relais) -> None:
    await relais.ensure_team("Team A")
    await relais.create_invite(role="mentor", name="Mina Haddad", team="Team A")
    await relais.create_invite(role="coordinator", name="Cora", team="Team A")
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        [mina] = await tx.people.by_name(name="Mina Haddad")
        [cora] = await tx.people.by_name(name="Cora")
        found = await tx.checkin_reads.practitioners_by_ids(ids=[mina.id, cora.id, "nobody"])
        one = await tx.checkin_reads.practitioner(practitioner_id=mina.id)
    assert set(found) == {mina.id, cora.id}
    assert one == found[mina.id]
    sealed = found[mina.id]
    assert (sealed.team_id, sealed.roles, sealed.revoked) == (mina.team_id, mina.roles, False)
    assert isinstance(sealed.display_name, SealedName)
    assert "Mina" not in repr(sealed)
    with pytest.raises(LookupError):
        _ = sealed.name
    assert sealed.display_name.open(relais.db.keys) == "Mina Haddad" == mina.name
