"""Usage figures and referral counts in storage: day totals added up, read back per team and
month, small figures hidden; the tables hold nothing that names a person."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, EvaluationConfig, parse_config
from bot.errors import ConfigError, InvalidInput, NotAllowed
from storage.models import Base
from tests.storage.helpers import enrol


async def test_counts_add_up_per_day_and_read_back(relais: Relais, clock: FakeClock) -> None:
    day = clock.now().date().isoformat()
    key = (day, "crisis", 1, "en", "start", "visit", "")
    choice = (day, "crisis", 1, "en", "start", "choice", "talk")
    await relais.record_usage({key: 3, choice: 1})
    await relais.record_usage({key: 4})
    report = await relais.usage_stats("crisis")
    [version] = report.versions
    node = version.nodes["start"]
    assert node.visits.count == 7
    assert node.visits.shown() == "7"
    assert node.choices["talk"].shown() == "< 5"
    assert node.choices["talk"].value is None
    assert node.choices["talk"].json() == "< 5"


async def test_referrals_per_team_and_month(relais: Relais, clock: FakeClock) -> None:
    coordinator = await enrol(relais, "Cora", "coordinator", team="North")
    south = await enrol(relais, "Sid", "coordinator", team="South")
    day = clock.now().date().isoformat()
    month = clock.now().strftime("%Y-%m")
    await relais.record_usage(
        {},
        {
            (day, coordinator.team_id or "", "crisis", "crisis", "emergency"): 6,
            (day, coordinator.team_id or "", "crisis", "goto", "page"): 2,
            (day, south.team_id or "", "", "sos", "emergency"): 9,
        },
    )
    north = await relais.team_referrals(coordinator, month)
    assert north.team == "North"
    assert north.emergency.shown() == "6"
    assert north.pages.shown() == "< 5"
    assert {(r.dialog_id, r.entry, r.kind, r.count.count) for r in north.rows} == {
        ("crisis", "crisis", "emergency", 6),
        ("crisis", "goto", "page", 2),
    }
    reports = await relais.referrals_by_team(month)
    by_team = {r.team: r for r in reports if r.team_id is not None}
    assert by_team["South"].emergency.count == 9
    every = next(r for r in reports if r.team_id is None)
    assert every.emergency.count == 15
    # another month holds none of it
    next_month = (clock.now() + timedelta(days=40)).strftime("%Y-%m")
    assert (await relais.team_referrals(coordinator, next_month)).rows == []


async def test_bad_month_is_refused_with_an_example(relais: Relais) -> None:
    coordinator = await enrol(relais, "Cora", "coordinator")
    with pytest.raises(InvalidInput, match="2026-11"):
        await relais.team_referrals(coordinator, "November")


def test_usage_tables_have_no_column_that_names_a_person() -> None:
    """No person, case, chat, session or time finer than a day in the usage tables."""
    forbidden = ("practitioner", "user", "case", "chat", "session", "actor", "author", "_at")
    for name in ("usage_counts", "referral_counts"):
        table = Base.metadata.tables[name]
        assert not table.foreign_keys, name
        for column in table.columns:
            assert not any(word in column.name for word in forbidden), (name, column.name)
            if column.name == "day":
                assert isinstance(column.type, sa.Date)
        assert {c.name for c in table.columns} <= {
            "day",
            "dialog_id",
            "dialog_version",
            "lang",
            "node_id",
            "measure",
            "item",
            "team_id",
            "entry",
            "kind",
            "count",
        }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("psychologist", True),
        ("coordinator", True),
        ("mentor", False),
        ("social_worker", False),
        ("admin", False),
    ],
)
async def test_who_sees_figures(relais: Relais, role: str, allowed: bool) -> None:
    """Psychologists and coordinators see usage figures and referral counts; no one else."""
    actor = await enrol(relais, "Pat", role)
    if allowed:
        assert (await relais.usage_figures(actor)).versions == []
        assert (await relais.team_referrals(actor)).rows == []
        return
    with pytest.raises(NotAllowed):
        await relais.usage_figures(actor)
    with pytest.raises(NotAllowed):
        await relais.team_referrals(actor)


async def test_threshold_comes_from_the_configuration(config: Config, clock: FakeClock) -> None:
    config = dataclasses.replace(config, evaluation=EvaluationConfig(min_count=2))
    async with await Relais.open(config, clock) as relais:
        day = clock.now().date().isoformat()
        await relais.record_usage({(day, "crisis", 1, "en", "start", "visit", ""): 2})
        await relais.record_usage({(day, "crisis", 1, "en", "start", "sos", ""): 1})
        [version] = (await relais.usage_stats()).versions
        assert version.nodes["start"].visits.shown() == "2"
        sos = version.nodes["start"].sos
        assert sos is not None
        assert sos.shown() == "< 2"


@pytest.mark.parametrize("value", ["0", "1001", '"5"'])
def test_min_count_is_checked(value: str) -> None:
    with pytest.raises(ConfigError, match=r"evaluation\.min_count"):
        parse_config(f"[evaluation]\nmin_count = {value}\n")
