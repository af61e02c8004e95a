"""`relais case exit-report` and `relais case close --follow-up` end to end (SQLite)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from bot.app import Relais
from bot.cli import main
from bot.clock import FakeClock
from bot.config import Config, StorageConfig


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    return Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def _answers(config: Config, invite: str) -> None:
    async with await Relais.open(config, FakeClock()) as relais:
        anne = await relais.redeem_invite("console", "anne", invite)
        await relais.save_exit_answer(anne, "K-7F3A", "residual_risk", "Isolation remains.")
        await relais.save_exit_answer(anne, "K-7F3A", "return_risk", "Low.")


def test_exit_report_and_close_with_follow_up(
    cli: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "admin",
        "invite",
        "--role",
        "coordinator",
        "--name",
        "Anne",
        "--team",
        "North",
        "--json",
    )
    assert code == 0
    assert run(capsys, "case", "create", "K-7F3A", "--owner", "Anne")[0] == 0
    asyncio.run(_answers(cli, json.loads(out)["code"]))

    code, out, _ = run(capsys, "case", "exit-report", "k-7f3a", "--json")
    assert code == 0
    data = json.loads(out)
    assert [(a["element"], a["text"]) for a in data["answers"]] == [
        ("residual_risk", "Isolation remains."),
        ("return_risk", "Low."),
    ]
    assert data["missing"] == [
        "service_strategies",
        "self_evaluation",
        "concerning_behaviours",
        "getting_help",
    ]
    assert data["contacts"][0]["role"] == "case_owner"
    assert data["contacts"][0]["name"] == "Anne"

    code, out, _ = run(capsys, "case", "exit-report", "K-7F3A", "--lang", "fr")
    assert "# Rapport de sortie: K-7F3A" in out
    assert "Isolation remains." in out
    target = tmp_path / "exit.html"
    code, out, _ = run(
        capsys, "case", "exit-report", "K-7F3A", "--format", "html", "-o", str(target)
    )
    assert code == 0
    assert "written to" in out
    assert os.stat(target).st_mode & 0o077 == 0
    assert "Incomplete: 2 of 6 elements answered." in target.read_text(encoding="utf-8")

    code, out, _ = run(capsys, "case", "close", "K-7F3A", "--follow-up", "--json")
    assert code == 0
    closed = json.loads(out)
    assert closed["status"] == "closed"
    assert [f["label"] for f in closed["follow_up"]] == [
        "Post-exit follow-up, 1 month",
        "Post-exit follow-up, 3 months",
        "Post-exit follow-up, 6 months",
        "Post-exit follow-up, 12 months",
    ]
    code, _, err = run(capsys, "case", "close", "K-7F3A", "--follow-up")
    assert code == 1
    assert "already has its post-exit follow-up" in err
    code, out, _ = run(capsys, "case", "exit-report", "K-7F3A", "--json")
    assert [f["status"] for f in json.loads(out)["follow_up"]] == ["active"] * 4


def test_close_without_a_terminal_offers_the_follow_up(
    cli: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "admin", "invite", "--role", "coordinator", "--name", "Anne", "--team", "North")
    run(capsys, "case", "create", "K-1", "--owner", "Anne")
    code, out, _ = run(capsys, "case", "close", "K-1")  # stdin is not a terminal here
    assert code == 0
    assert "case K-1 closed" in out
    assert "relais case close K-1 --follow-up" in out
    assert "Post-exit follow-up, 1 month" in out
    code, out, _ = run(capsys, "case", "close", "K-1", "--follow-up")  # later: still possible
    assert code == 0
    assert out.count("Post-exit follow-up") == 4
    code, out, _ = run(capsys, "case", "close", "K-1", "--no-follow-up", "--json")
    assert json.loads(out) == {"code": "K-1", "status": "closed", "follow_up": []}
