"""An invite grants its role when it is redeemed, not when it is made, and nothing once it has
expired; revoking someone takes them off their cases, and says which cases they still own."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Relais
from bot.cli import main
from bot.clock import FakeClock
from bot.errors import InvalidInput
from tests.storage.helpers import enrol


async def _roles(relais: Relais, name: str) -> set[str]:
    return next(set(p.roles) for p, _team in await relais.list_practitioners() if p.name == name)


async def test_the_role_is_granted_at_redemption_only(relais: Relais) -> None:
    await enrol(relais, "Alex Martin", "mentor")
    invite = await relais.create_invite(role="psychologist", name="Alex Martin", team="North")
    assert await _roles(relais, "Alex Martin") == {"mentor"}  # not yet
    assert (await relais.identify("telegram", "tg-Alex Martin")).roles == {"mentor"}  # type: ignore[union-attr]
    actor = await relais.redeem_invite("matrix", "@alex:example.org", invite.code)
    assert actor.roles == {"mentor", "psychologist"}
    assert await _roles(relais, "Alex Martin") == {"mentor", "psychologist"}


async def test_an_expired_invite_grants_nothing(relais: Relais, clock: FakeClock) -> None:
    await enrol(relais, "Alex Martin", "mentor")
    invite = await relais.create_invite(
        role="admin", name="Alex Martin", team="North", expires=timedelta(hours=1)
    )
    clock.advance(timedelta(hours=2))
    with pytest.raises(InvalidInput, match="not valid"):
        await relais.redeem_invite("matrix", "@alex:example.org", invite.code)
    assert await _roles(relais, "Alex Martin") == {"mentor"}


async def test_revoking_takes_them_off_their_cases_and_names_what_they_own(
    relais: Relais,
) -> None:
    await enrol(relais, "Olga Owner", "coordinator")
    await enrol(relais, "Alex Martin", "coordinator")
    await relais.create_case("K-1", owner="Olga Owner")
    await relais.create_case("K-2", owner="Alex Martin")
    await relais.add_member("K-1", "Alex Martin", role="mentor")
    result = await relais.revoke("Alex Martin")
    assert result.memberships_removed == ("K-1",)
    assert result.still_owner_of == ("K-2",)
    # a later invite restores the person and what they own, not their memberships
    invite = await relais.create_invite(role="coordinator", name="Alex Martin", team="North")
    actor = await relais.redeem_invite("telegram", "tg-alex-again", invite.code)
    assert {(c.code, c.relation) for c in await relais.list_cases(actor)} == {("K-2", "owner")}


def test_the_command_line_says_so(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    for who in ("Olga", "Alex"):
        assert main(["admin", "invite", "--role", "coordinator", "--name", who]) == 0
    assert main(["admin", "invite", "--role", "psychologist", "--name", "Alex"]) == 0
    capsys.readouterr()
    assert main(["admin", "list", "--json"]) == 0
    people = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert people["Alex"]["roles"] == ["coordinator"]
    assert main(["case", "create", "K-1", "--owner", "Olga"]) == 0
    assert main(["case", "create", "K-2", "--owner", "Alex"]) == 0
    assert main(["case", "add-member", "K-1", "Alex", "--role", "mentor"]) == 0
    capsys.readouterr()
    assert main(["admin", "revoke", "Alex"]) == 0
    out = capsys.readouterr().out
    assert "taken off 1 case(s): K-1 (a new invite does not put them back" in out
    assert "still the owner of K-2: give each case another owner" in out
    assert "a new invite would restore their access to it" in out
