"""`relais checkins list|add|pause|resume|cancel` with --json."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.app import Relais
from bot.cli import main
from bot.clock import SystemClock
from bot.config import Config, StorageConfig


async def _setup(config: Config) -> None:
    relais = await Relais.open(config, SystemClock())
    try:
        now = relais.clock.now()
        async with relais.db.transaction(now) as tx:
            team = await tx.people.add_team(name="Team A", now=now)
            owner = await tx.people.add(
                team_id=team.id,
                name="Claire",
                roles=["coordinator"],
                language="fr",
                time_zone="Europe/Paris",
                now=now,
            )
            mentor = await tx.people.add(
                team_id=team.id,
                name="Marc",
                roles=["mentor"],
                language="fr",
                time_zone="Asia/Tokyo",
                now=now,
            )
            case = await tx.cases.add(code="K-7F3A", team_id=team.id, owner_id=owner, now=now)
            await tx.cases.put_member(
                case_id=case.id, practitioner_id=mentor, role="mentor", now=now
            )
    finally:
        await relais.close()


@pytest.fixture
def config_file(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "relais.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[storage]\nurl = "{sqlite_url}"\n', encoding="utf-8"
    )
    config = Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))
    asyncio.run(_setup(config))
    return str(path)


def run_json(capsys: pytest.CaptureFixture[str], config: str, *argv: str) -> object:
    assert main(["--config", config, "checkins", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_add_list_pause_resume_cancel(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    added = run_json(
        capsys, config_file, "add", "k-7f3a", "--weekly", "mo", "--at", "09:00", "--remind", "Marc"
    )
    assert isinstance(added, dict)
    sid = added["schedule_id"]
    assert added["case"] == "K-7F3A"
    assert added["first_due"].endswith("00:00:00+00:00")  # 09:00 in Tokyo = 00:00 UTC
    monthly = run_json(capsys, config_file, "add", "K-7F3A", "--monthly", "31", "--at", "10:00")
    every = run_json(capsys, config_file, "add", "K-7F3A", "--every", "3", "--at", "18:30")
    once = run_json(capsys, config_file, "add", "K-7F3A", "--once", "2030-03-31T02:30")
    assert isinstance(once, dict)
    assert once["first_due"] == "2030-03-31T01:30:00+00:00"  # Paris DST gap: shifted forward
    listed = run_json(capsys, config_file, "list")
    assert isinstance(listed, list)
    assert len(listed) == 4
    assert {item["case"] for item in listed} == {"K-7F3A"}
    rules = {item["schedule_id"]: item["rule"] for item in listed}
    assert rules[sid] == "weekly:MO@09:00 Asia/Tokyo"
    assert isinstance(monthly, dict)
    assert rules[monthly["schedule_id"]] == "monthly:31@10:00 Europe/Paris"
    assert isinstance(every, dict)
    assert rules[every["schedule_id"]].startswith("every:3d@18:30 from ")
    assert run_json(capsys, config_file, "pause", sid) == {"schedule_id": sid, "status": "paused"}
    assert run_json(capsys, config_file, "resume", sid) == {"schedule_id": sid, "status": "active"}
    assert run_json(capsys, config_file, "cancel", sid) == {
        "schedule_id": sid,
        "status": "cancelled",
    }
    remaining = run_json(capsys, config_file, "list", "--case", "K-7F3A")
    assert isinstance(remaining, list)
    assert len(remaining) == 3


def test_errors_are_one_line(config_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--config",
                config_file,
                "checkins",
                "add",
                "K-NOPE",
                "--weekly",
                "MO",
                "--at",
                "09:00",
            ]
        )
        == 1
    )
    assert "no case K-NOPE" in capsys.readouterr().err
    assert main(["--config", config_file, "checkins", "add", "K-7F3A", "--weekly", "MO"]) == 1
    assert "--at HH:MM" in capsys.readouterr().err
    assert main(["--config", config_file, "checkins", "resume", "f" * 32]) == 1
    assert "no check-in" in capsys.readouterr().err
    assert (
        main(
            [
                "--config",
                config_file,
                "checkins",
                "add",
                "K-7F3A",
                "--weekly",
                "XX",
                "--at",
                "09:00",
            ]
        )
        == 1
    )
    assert "weekday" in capsys.readouterr().err


@pytest.mark.parametrize(
    "when",
    [
        ["--once", "9999-12-31T23:00"],
        ["--every", "3", "--at", "09:00", "--from", "9999-12-01"],
        ["--once", "2026-01-01T09:00", "--grace", "99999999999999w"],
    ],
)
def test_dates_and_durations_too_far_ahead_are_one_clear_line(
    config_file: str, capsys: pytest.CaptureFixture[str], when: list[str]
) -> None:
    code = main(["--config", config_file, "checkins", "add", "K-7F3A", *when])
    out, err = capsys.readouterr()
    assert code == 1, out
    assert "Traceback" not in out + err
    assert "within ten years" in err or "at most 36525d" in err, err
