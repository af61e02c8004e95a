"""`relais dialogs draft|review|publish|history|diff|rollback` end to end (SQLite)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.publishing.rules import shell_user
from tests.publishing.conftest import make_content

TIPS = (Path(__file__).resolve().parent / "data" / "tips.yaml").read_text("utf-8")


def write_config(path: Path, sqlite_url: str, content: Path, extra: str = "") -> Path:
    path.write_text(
        f'data_dir = "{path.parent / "data"}"\n'
        f'content_dir = "{content}"\n'
        f'[storage]\nurl = "{sqlite_url}"\n'
        f"[publishing]\nreviewers_required = 1\n{extra}",
        "utf-8",
    )
    return path


@pytest.fixture
def config_file(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    content = make_content(tmp_path)
    # one shell user plays every part here: allowed explicitly (refused by default, below)
    return write_config(
        tmp_path / "relais.toml", sqlite_url, content, "operator_may_act_for_two = true\n"
    )


def shown_digest(out: str) -> str:
    """The digest `relais dialogs review ID --as NAME` printed."""
    line = next(x for x in out.splitlines() if x.startswith("digest: "))
    return line.removeprefix("digest: ")[:16]


def run(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_draft_review_publish_history_diff_rollback(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for role, name in (("psychologist", "Pia"), ("psychologist", "Paul"), ("mentor", "Alex")):
        assert run(capsys, config_file, "admin", "invite", "--role", role, "--name", name)[0] == 0
    draft = tmp_path / "tips.yaml"
    draft.write_text(TIPS.replace("next: done", "next: nowhere"), "utf-8")
    code, _, err = run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Pia")
    assert code == 1
    assert "tips.yaml:28:11: RD024 error" in err

    draft.write_text(TIPS, "utf-8")
    code, out, _ = run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Pia")
    assert code == 0, out
    assert "Draft ready: tips" in out
    code, _, err = run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Alex")
    assert code == 1
    assert "may not" in err
    code, _, err = run(capsys, config_file, "dialogs", "publish", "tips", "--as", "Pia")
    assert code == 1
    assert "needs a colleague's approval" in err
    code, _, err = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--as", "Paul"
    )
    assert code == 1
    assert "--approve needs --digest" in err
    code, out, _ = run(capsys, config_file, "dialogs", "review", "tips", "--as", "Paul")
    assert code == 0
    assert (
        f"Review: draft tips (Tips for a hard day) by operator (shell user {shell_user()}) for Pia"
        in out
    )
    digest = shown_digest(out)
    code, _, err = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Pia",
    )  # fmt: skip
    assert code == 1
    assert "another psychologist" in err
    code, out, _ = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert (code, out.strip()) == (0, "draft of tips: approved")
    code, out, _ = run(capsys, config_file, "dialogs", "publish", "tips", "--as", "Pia")
    assert code == 0
    assert "tips version 1 published (draft)" in out
    assert "1 team member(s)" in out  # Alex, a mentor: the audience

    draft.write_text(TIPS.replace("Take care.", "Rest well."), "utf-8")
    assert run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Pia")[0] == 0
    # the digest of the first revision no longer approves anything
    code, _, err = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert code == 1
    assert "changed after you were shown it: nothing was approved" in err
    digest = shown_digest(run(capsys, config_file, "dialogs", "review", "tips", "--as", "Paul")[1])
    code, _, _ = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, config_file, "dialogs", "publish", "tips")  # the operator
    assert code == 0
    assert "0 session(s) in progress on version 1" in out

    code, out, _ = run(capsys, config_file, "dialogs", "diff", "tips", "1", "2")
    assert code == 0
    assert '-    text: {en: "Take care."' in out
    assert '+    text: {en: "Rest well."' in out
    code, out, _ = run(capsys, config_file, "dialogs", "rollback", "tips", "1", "--as", "Paul")
    assert code == 0
    assert "tips version 3 published (rollback)" in out
    code, out, _ = run(capsys, config_file, "dialogs", "history", "tips", "--json")
    versions = json.loads(out)["versions"]
    assert [(v["version"], v["origin"], v["author"], v["reviewer"]) for v in versions] == [
        (1, "draft", "Pia", "Paul"),
        (2, "draft", "Pia", "Paul"),
        (3, "rollback", "Paul", ""),
    ]
    assert versions[0]["checksum"] == versions[2]["checksum"]
    code, out, _ = run(capsys, config_file, "dialogs", "diff", "tips", "1", "3")
    assert "identical" in out
    code, _, err = run(capsys, config_file, "dialogs", "diff", "tips", "1", "9")
    assert code == 1
    assert "no version 9" in err
    assert run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Paul")[0] == 0
    code, _, err = run(capsys, config_file, "dialogs", "withdraw", "tips", "--as", "Pia")
    assert code == 1
    assert "only they" in err
    code, out, _ = run(capsys, config_file, "dialogs", "withdraw", "tips")
    assert (code, out.strip()) == (0, "draft of tips withdrawn")
    code, out, _ = run(capsys, config_file, "dialogs", "history", "crisis")
    assert code == 0
    assert "v1" in out
    assert "bundled" in out


def test_one_operator_cannot_be_author_and_reviewer(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--as` is recorded as the operator (shell user) acting for NAME; one shell user acting
    for both the author and the reviewer is refused unless the configuration allows it."""
    config = write_config(tmp_path / "relais.toml", sqlite_url, make_content(tmp_path))
    for name in ("Pia", "Paul"):
        run(capsys, config, "admin", "invite", "--role", "psychologist", "--name", name)
    draft = tmp_path / "tips.yaml"
    draft.write_text(TIPS, "utf-8")
    assert run(capsys, config, "dialogs", "draft", str(draft), "--as", "Pia")[0] == 0
    digest = shown_digest(run(capsys, config, "dialogs", "review", "tips", "--as", "Paul")[1])
    code, _, err = run(
        capsys, config, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert code == 1
    assert "one operator cannot be both its author and its reviewer" in err
    assert "operator_may_act_for_two = true" in err

    # the audit names the operator (and the shell user), acting for the practitioner
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        rows = db.execute(
            "SELECT actor_kind, actor_id, detail FROM audit_log WHERE action = 'dialog.draft'"
        ).fetchall()
    assert len(rows) == 2  # the upload counted (drafts per hour), the draft saved
    for kind, actor_id, detail in rows:
        assert (kind, actor_id) == ("operator", None)
        assert json.loads(detail)["shell_user"] == shell_user()
        assert len(json.loads(detail)["for"]) == 32  # Pia's id, never her name

    # allowed explicitly: then the history says who really acted
    allowed = write_config(
        tmp_path / "relais.toml",
        sqlite_url,
        tmp_path / "content",
        "operator_may_act_for_two = true\n",
    )
    code, _, _ = run(
        capsys, allowed, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert code == 0
    assert run(capsys, allowed, "dialogs", "publish", "tips")[0] == 0  # the operator alone
    code, out, _ = run(capsys, allowed, "dialogs", "history", "tips")
    user = shell_user()
    assert (
        f"draft     by operator (shell user {user}) for Pia, reviewed by operator (shell user "
        f"{user}) for Paul on "
    ) in out
    assert out.rstrip().endswith(f", published by operator (shell user {user})")


def test_another_teams_draft_is_refused_with_as(
    config_file: Path, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--as` a psychologist of another team: the same refusal as in chat, audited as denied;
    the operator alone (no `--as`) is not held by teams."""
    for name, team in (("Pia", "Team A"), ("Paul", "Team A"), ("Bea", "Team B")):
        invite = ("admin", "invite", "--role", "psychologist", "--name", name, "--team", team)
        assert run(capsys, config_file, *invite)[0] == 0
    draft = tmp_path / "tips.yaml"
    draft.write_text(TIPS.replace("start:", 'teams: ["Team A"]\nstart:', 1), "utf-8")
    assert run(capsys, config_file, "dialogs", "draft", str(draft), "--as", "Pia")[0] == 0

    code, out, err = run(capsys, config_file, "dialogs", "review", "tips", "--as", "Bea")
    assert (code, out) == (1, "")  # nothing of the draft shown, not even its digest
    assert err.splitlines()[-1] == (  # after any log lines (whether INFO shows: the suite's)
        "relais: error: You cannot review the draft of tips: it is guidance of Team A, and "
        "only their psychologists may see its drafts. Nothing was shown."
    )
    assert "Team A" not in "".join(err.splitlines(keepends=True)[:-1])  # nothing else said
    digest = shown_digest(run(capsys, config_file, "dialogs", "review", "tips", "--as", "Paul")[1])
    code, _, err = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Bea",
    )  # fmt: skip
    assert code == 1
    assert "You cannot approve the draft of tips" in err
    code, _, err = run(
        capsys, config_file, "dialogs", "review", "tips", "--reject", "--comment", "no",
        "--as", "Bea",
    )  # fmt: skip
    assert code == 1
    assert "You cannot send back the draft of tips" in err
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as db:
        rows = db.execute(
            "SELECT action, detail FROM audit_log WHERE outcome = 'denied' ORDER BY seq"
        ).fetchall()
    assert [(a, json.loads(d)["refused"], json.loads(d)["dialog_id"]) for a, d in rows] == [
        ("dialog.review", "dialog.teams", "tips"),
        ("dialog.approve", "dialog.teams", "tips"),
        ("dialog.approve", "dialog.teams", "tips"),
    ]
    # Team A's reviewer approves what they were shown; the operator alone may withdraw it
    code, out, _ = run(
        capsys, config_file, "dialogs", "review", "tips", "--approve", "--digest", digest,
        "--as", "Paul",
    )  # fmt: skip
    assert (code, out.strip()) == (0, "draft of tips: approved")
    assert run(capsys, config_file, "dialogs", "withdraw", "tips", "--as", "Bea")[0] == 1
    assert run(capsys, config_file, "dialogs", "withdraw", "tips")[0] == 0
