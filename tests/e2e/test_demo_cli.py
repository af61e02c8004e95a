"""`relais demo` as a user runs it: a real process, a terminal conversation, SQLite that
persists between runs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

RELAIS = str(Path(sys.executable).parent / "relais")


def _demo(data_dir: Path, lines: list[str], *args: str) -> str:
    env = {**os.environ, "RELAIS_DATA_DIR": str(data_dir)}
    for name in ("RELAIS_CONFIG", "RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET"):
        env.pop(name, None)
    done = subprocess.run(
        [RELAIS, "demo", *args],
        input="\n".join([*lines, "/quit"]) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def test_demo_walks_the_crisis_guide_and_keeps_notes(tmp_path: Path) -> None:
    out = _demo(
        tmp_path,
        ["/crisis", "1", "/cases", "/note K-7F3A canary-7c1f demo note"],
    )
    # a new practitioner is first told plainly what Relais is, and how to reach a human
    welcome = out.index("I am Relais, an automated assistant")
    assert "not a clinician" in out
    assert welcome < out.index("/sos at any time") < out.index("112") < out.index("What is")
    assert "1. Someone is in danger now" in out
    assert "112" in out
    assert "K-7F3A" in out
    assert "Note logged on case K-7F3A" in out
    # a second run on the same data: the note is still there
    out = _demo(tmp_path, ["/notes K-7F3A"])
    assert "canary-7c1f demo note" in out
    assert "automated assistant" not in out  # told once, when the demo people were created
    # and it is not readable in the database files
    for path in (tmp_path).glob("relais.db*"):
        assert b"canary-7c1f" not in path.read_bytes()
    log = tmp_path / "relais-demo.log"
    assert "canary-7c1f" not in log.read_text(encoding="utf-8")


def test_demo_in_french_as_the_psychologist(tmp_path: Path) -> None:
    out = _demo(tmp_path, ["/lang fr", "/crisis", "/help"], "--as", "psychologist")
    assert "Que se passe-t-il" in out
    assert "/preview" in out


def test_the_demo_data_and_log_are_private_whatever_the_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = os.umask(0o000)  # the child inherits the most permissive umask there is
    try:
        _demo(data, ["/note K-7F3A private demo note"])
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "relais-demo.log").stat().st_mode) == 0o600
    for path in data.glob("relais.db*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_the_demo_coordinator_sees_the_terminal_and_every_guide(tmp_path: Path) -> None:
    out = _demo(tmp_path, ["/status", "/stats"], "--as", "coordinator")
    assert "Chat channels: console working" in out
    assert "How guidance is used: every guide, last 30 days" in out
