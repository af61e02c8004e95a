"""`relais report evaluation`: per team, counts only, small numbers hidden, charts in the HTML;
built from a database full of case codes, names, notes and comments with distinctive strings,
none of which may appear in the report. Who may generate it: the policy table."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import Relais
from bot.chat.dialog_registry import DialogRegistry
from bot.cli import main
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.errors import NotAllowed
from bot.policy import POLICY, Action, Relation, Role
from storage.models import CheckinOccurrenceRow, new_id
from tests.storage.helpers import enrol

CONTENT = Path(__file__).resolve().parents[2] / "content"
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
#: what must never reach the report: case codes, names, user ids, typed text
SECRETS = (
    "K-CANARY1",
    "K-CANARY2",
    "canary-note-body-81f3",
    "Zorbalina",
    "Xyzzy",
    "Qwerty",
    "tg-",
    "canary-feedback-comment",
    "canary-amended",
)


async def _occurrence(tx: object, **values: object) -> None:
    now = NOVEMBER
    row = {
        "id": new_id(),
        "schedule_id": None,
        "role": None,
        "requested_by": None,
        "recipient_id": None,
        "due_at": now,
        "deliver_at": now,
        "escalation_level": 0,
        "escalation_chain": "[]",
        "next_action_at": None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "late": False,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    await tx.conn.execute(sa.insert(CheckinOccurrenceRow).values(**row))  # type: ignore[attr-defined]


async def _seed(config: Config) -> None:
    clock = FakeClock(NOVEMBER)
    async with await Relais.open(config, clock, migrate_schema=True) as relais:
        cora = await enrol(relais, "Zorbalina Coord", "coordinator", team="North")
        mona = await enrol(relais, "Mentor Xyzzy", "mentor", team="North")
        await enrol(relais, "Psy Qwerty", "psychologist", team="North")
        await enrol(relais, "South Coord", "coordinator", team="South")
        await relais.create_case("K-CANARY1", owner="Zorbalina Coord", team="North")
        await relais.add_member("K-CANARY1", "Mentor Xyzzy", role="mentor")
        await relais.create_case("K-CANARY2", owner="Zorbalina Coord", team="North")
        for index in range(7):
            await relais.log_note(mona, "K-CANARY1", f"canary-note-body-81f3 {index}", ["trigger"])
        for _ in range(2):
            await relais.log_note(cora, "K-CANARY2", "canary-note-body-81f3 concern", ["concern"])
        note = await relais.log_note(mona, "K-CANARY1", "canary-note-body-81f3 plain", [])
        await relais.amend_note(mona, "K-CANARY1", note.id, "canary-amended")
        async with relais.db.transaction(clock.now()) as tx:
            case = await tx.cases.by_code(code="K-CANARY1")
            assert case is not None
            for status, level in (
                [("acknowledged", 0)] * 6 + [("exhausted", 1)] * 2 + [("waiting", 0)]
            ):
                await _occurrence(
                    tx, kind="checkin", case_id=case.id, status=status, escalation_level=level
                )
            for minutes in (3, 4, 10, 20, 30, 90, None):
                acked = NOVEMBER + timedelta(minutes=minutes) if minutes else None
                await _occurrence(
                    tx,
                    kind="page",
                    case_id=case.id,
                    role="on_call_psychologist",
                    requested_by=mona.practitioner_id,
                    status="acknowledged" if acked else "waiting",
                    acknowledged_at=acked,
                )
        day = NOVEMBER.date().isoformat()
        start = DialogRegistry.from_content(CONTENT).source().get("crisis")
        assert start is not None
        await relais.record_usage(
            {(day, "crisis", 1, "en", start.start, "visit", ""): 12},
            {
                (day, cora.team_id, "crisis", "crisis", "page"): 6,
                (day, cora.team_id, "crisis", "sos", "emergency"): 2,
            },
        )
        feedback = await relais.give_feedback(mona.practitioner_id, "crisis", 1, "en", "no")
        await relais.comment_feedback(mona.practitioner_id, feedback, "canary-feedback-comment")


@pytest.fixture
def config_file(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = tmp_path / "relais.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\ncontent_dir = "{content}"\n'
        f'[storage]\nurl = "{sqlite_url}"\n',
        encoding="utf-8",
    )
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(content),
        storage=StorageConfig(url=sqlite_url),
    )
    asyncio.run(_seed(config))
    return path


def _report(config: Path, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "report.out"
    code = main(["--config", str(config), "report", "evaluation", "-o", str(out), *args])
    assert code == 0
    return out.read_text(encoding="utf-8")


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_markdown_report_counts_per_team_and_hides_small_numbers(
    config_file: Path, tmp_path: Path
) -> None:
    text = _report(config_file, tmp_path, "--month", "2026-11", "--format", "md")
    _no_secret(text)
    assert "# Relais evaluation report: 2026-11" in text
    north = text.split("## Team: North")[1].split("## Team: South")[0]
    assert "| A human paged | 6 |" in north
    assert "| Emergency contacts shown | < 5 |" in north
    assert "| Due | 9 |" in north
    assert "| Done | 6 |" in north
    assert "| Missed (nobody answered) | < 5 |" in north
    assert "| Escalated | < 5 |" in north
    assert "| Sent | 7 |" in north
    assert "| Acknowledged | 6 |" in north
    assert "Median time to acknowledgement (minutes): 15.0" in north
    assert "| trigger | 7 |" in north
    assert "| concern | < 5 |" in north
    assert "| no tag | < 5 |" in north  # the amendment is not a new note
    assert "| What is happening? | 12 |" in text  # dialogs opened, all teams
    south = text.split("## Team: South")[1]
    assert "| Due | 0 |" in south
    # another month: nothing of November
    december = _report(config_file, tmp_path, "--month", "2026-12", "--format", "md")
    assert "| Due | 9 |" not in december


def test_html_report_has_svg_charts_and_french(config_file: Path, tmp_path: Path) -> None:
    html = _report(config_file, tmp_path, "--month", "2026-11", "--format", "html")
    _no_secret(html)
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 8
    assert '<rect x="290"' in html
    assert "stroke-dasharray" in html  # a hidden figure: an outline, no bar
    french = _report(
        config_file, tmp_path, "--month", "2026-11", "--format", "html", "--lang", "fr"
    )
    _no_secret(french)
    assert "Rapport d&#39;évaluation de Relais: 2026-11" in french
    assert "Points de suivi" in french


def test_as_a_coordinator_their_own_team_only_and_a_mentor_is_refused(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _report(config_file, tmp_path, "--month", "2026-11", "--as", "South Coord")
    assert "## Team: South" in text
    assert "## Team: North" not in text
    out = tmp_path / "refused.md"
    args = ["report", "evaluation", "--month", "2026-11", "--as", "Mentor Xyzzy", "-o", str(out)]
    assert main(["--config", str(config_file), *args]) == 1
    assert "may not do this (report.evaluation)" in capsys.readouterr().err
    assert not out.exists()


def test_the_template_is_editable_and_sandboxed(config_file: Path, tmp_path: Path) -> None:
    template = tmp_path / "content" / "templates" / "evaluation.md.j2"
    template.write_text("EDITED {{ report.month }} {{ report.teams | length }}\n", "utf-8")
    assert _report(config_file, tmp_path, "--month", "2026-11") == "EDITED 2026-11 2\n"
    template.write_text("{{ report.__class__.__mro__ }}\n", "utf-8")
    code = main(["--config", str(config_file), "report", "evaluation", "--month", "2026-11"])
    assert code == 1


async def test_policy_who_may_see_evaluation_figures_and_comments(relais: Relais) -> None:
    calls = {
        Action.EVALUATION_REPORT: lambda actor: relais.evaluation_report(actor, "2026-11"),
        Action.VIEW_FEEDBACK: lambda actor: relais.feedback_counts(actor),
        Action.READ_FEEDBACK_COMMENTS: lambda actor: relais.feedback_comments(actor),
    }
    for role in Role:
        actor = await enrol(relais, f"P {role.value}", role.value)
        for action, call in calls.items():
            expected = POLICY[(role, action, Relation.OTHER)]
            try:
                await call(actor)
            except NotAllowed:
                allowed = False
            else:
                allowed = True
            assert allowed is expected, (role, action)
    assert POLICY[(Role.PSYCHOLOGIST, Action.READ_FEEDBACK_COMMENTS, Relation.OTHER)]
    assert not POLICY[(Role.COORDINATOR, Action.READ_FEEDBACK_COMMENTS, Relation.OTHER)]
    assert POLICY[(Role.COORDINATOR, Action.EVALUATION_REPORT, Relation.OTHER)]
    assert not POLICY[(Role.MENTOR, Action.EVALUATION_REPORT, Relation.OTHER)]
