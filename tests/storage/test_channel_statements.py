"""`@channel_statements`: a channel entry whose statements each stand alone runs as storage's
`Database.autocommit` decides (PostgreSQL: every statement commits on its own, no BEGIN and
COMMIT round trips; SQLite: one transaction), and can never be audited; `@channel_entry` is
one transaction."""

from __future__ import annotations

import pytest

from bot.app import Relais
from bot.usecases.base import EntryScope, UseCases, channel_entry, channel_statements


def _isolation(scope: EntryScope) -> tuple[str | None, bool]:
    conn = scope.tx.conn
    assert conn.sync_connection is not None
    options = conn.sync_connection.get_execution_options()
    return options.get("isolation_level"), conn.in_transaction()


class _Probe(UseCases):
    def __init__(self, relais: Relais) -> None:
        self.db, self.clock, self.config = relais.db, relais.clock, relais.config

    @channel_statements("probe.statements")
    async def statements(self, scope: EntryScope) -> tuple[str | None, bool]:
        return _isolation(scope)

    @channel_entry("probe.entry")
    async def entry(self, scope: EntryScope) -> tuple[str | None, bool]:
        scope.audit = False
        await scope.tx.people.teams()
        return _isolation(scope)

    @channel_statements("probe.audited")
    async def audited(self, scope: EntryScope) -> None:
        scope.audit = True


async def test_statements_run_as_storage_decides(relais: Relais) -> None:
    probe = _Probe(relais)
    isolation, _ = await probe.statements()
    if relais.db.engine.dialect.name == "postgresql":
        assert isolation == "AUTOCOMMIT"
    else:
        assert isolation != "AUTOCOMMIT"
    isolation, in_transaction = await probe.entry()
    assert isolation != "AUTOCOMMIT"
    assert in_transaction


async def test_channel_statements_are_never_audited(relais: Relais) -> None:
    head = await relais.audit_head()
    with pytest.raises(RuntimeError, match=r"probe\.audited: channel statements cannot be"):
        await _Probe(relais).audited()
    assert await relais.audit_head() == head
