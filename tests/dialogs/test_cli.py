"""`relais dialogs check|play|test|graph`."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from dialogs.diagnostics import CODES
from tests.dialogs.helpers import DATA

BROKEN = DATA / "broken" / "broken.yaml"


def test_check_clean_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "check", str(DATA)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "2 dialog(s) checked: 0 errors, 0 warnings" in captured.err


def test_check_broken_file_exits_1_with_located_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "check", str(BROKEN)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"{BROKEN}:13:15: RD024 error: node 'first' leads to 'missing_node'" in lines[2]
    assert all(line.startswith(f"{BROKEN}:") for line in lines)
    assert any(" RD070 error: contact role 'ghostbusters'" in line for line in lines)
    assert any("(did you mean 'next'?)" in line for line in lines)


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "check", "--format", "json", str(BROKEN)]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["errors"] == 9
    assert payload["warnings"] == 5
    first = payload["diagnostics"][0]
    assert set(first) == {"file", "line", "col", "code", "severity", "message", "hint"}


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00binary", b"a: &a [*a]\n", b"key: [unclosed\n", b"- just\n- a list\n"],
)
def test_check_hostile_files_never_traceback(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    assert main(["dialogs", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}:")
    assert " RD0" in out


def test_check_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "check", "/nonexistent/dialogs"]) == 1
    assert "RD006" in capsys.readouterr().out


def _play(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    typed: str,
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    code = main(["dialogs", "play", *args])
    return code, capsys.readouterr().out


def test_play_with_piped_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _play(
        monkeypatch,
        capsys,
        [str(DATA / "full.yaml"), "--var", "practitioner=Ana"],
        "2\nx\nhe shouted\n9\n/sos\n1\n1\n",
    )
    assert code == 0
    assert "Hello Ana. What is happening?\n  1. Emergency contacts\n  2. Talk it through" in out
    assert "! Two characters at least." in out
    assert "[would show contacts: on_call_psychologist, case_owner]" in out
    assert "[would show contacts: emergency, on_call_psychologist (urgent)]" in out
    assert "[would log note: he shouted (risk 9) (tags: trigger)]" in out
    assert "[would schedule check-in in 1d: Every node kind]" in out
    assert out.rstrip().endswith("[dialog ended: completed]")


def test_play_by_id_in_french_from_a_node(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "relais.toml"
    config.write_text(f'content_dir = "{DATA}"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("/cancel\n"))
    code = main(
        [
            "--config",
            str(config),
            "dialogs",
            "play",
            "full",
            "--lang",
            "fr",
            "--from",
            "low",
            "--var",
            "risk=2",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Autre chose ?\n  1. Oui\n  2. Non" in out
    assert "[dialog ended: cancelled]" in out


def test_play_refuses_a_broken_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "play", str(BROKEN)]) == 1
    assert "RD024" in capsys.readouterr().err


def test_play_as_a_subprocess() -> None:
    relais = Path(sys.executable).parent / "relais"
    done = subprocess.run(
        [str(relais), "dialogs", "play", str(DATA / "full.yaml")],
        input="1\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "[would page: emergency]" in done.stdout


def test_test_command_passes_on_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "test", str(DATA)]) == 0
    assert capsys.readouterr().out.strip().endswith("5 passed, 0 failed")


def test_test_command_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("full.yaml", "tips.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "full.test.yaml").write_text(
        "dialog: full\ntests:\n  - name: wrong\n    steps:\n      - bot: 'good morning'\n",
        encoding="utf-8",
    )
    assert main(["dialogs", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL full: wrong" in out
    assert "full.test.yaml:5:" in out
    assert out.strip().endswith("2 passed, 1 failed")


def test_walk_finds_unsafe_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stuck.yaml").write_text(
        "id: stuck\ntitle: Stuck\nstart: ask\nnodes:\n"
        "  ask:\n    kind: input\n    text: Code?\n    var: code\n"
        "    validate: {pattern: 'Z{9}'}\n    next: done\n"
        "  done: {kind: end}\n",
        encoding="utf-8",
    )
    assert main(["dialogs", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "stuck at stuck/ask" in out
    assert "never visited: done" in out


@pytest.mark.parametrize(("fmt", "start"), [("mermaid", "flowchart TD"), ("dot", "digraph")])
def test_graph_text(fmt: str, start: str, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["dialogs", "graph", str(DATA / "full.yaml"), "--format", fmt]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.startswith(start)
    assert "contacts_now" in out


def test_graph_picture_or_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "full.svg"
    args = ["dialogs", "graph", str(DATA / "full.yaml"), "--format", "svg", "-o", str(out)]
    if shutil.which("dot"):
        assert main(args) == 0
        svg = out.read_text(encoding="utf-8")
        assert "<svg" in svg
        assert "#f8cbad" in svg
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(args) == 1
    assert "Graphviz is not installed: apt-get install graphviz" in capsys.readouterr().err


def test_graph_png_bytes() -> None:
    if not shutil.which("dot"):
        pytest.skip("Graphviz not installed")
    from dialogs import load_dialog_file, render_picture

    dialog = load_dialog_file(DATA / "full.yaml").dialog
    assert dialog is not None
    assert render_picture(dialog, "png").startswith(b"\x89PNG")


def test_one_file_is_checked_against_its_folder(capsys: pytest.CaptureFixture[str]) -> None:
    # full.yaml goes to tips.yaml: the sibling resolves the goto but is not reported on
    assert main(["dialogs", "check", str(DATA / "full.yaml")]) == 0
    assert "1 dialog(s) checked: 0 errors, 0 warnings" in capsys.readouterr().err


def test_test_command_on_one_transcript(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(DATA / "full.test.yaml"), str(DATA / "full.yaml")]
    assert main(["dialogs", "test", *paths]) == 0
    assert capsys.readouterr().out.strip().endswith("4 passed, 0 failed")


def test_walk_goes_deep_with_random_walks_when_bounded() -> None:
    from dialogs import Library, load_dialog_text
    from dialogs.walk import walk_dialog

    lines = ["id: chain", "title: Chain", "start: n0", "nodes:"]
    for i in range(30):
        lines += [f"  n{i}:", "    kind: input", f"    text: 'Step {i}?'", f"    var: v{i}"]
        lines += ["    validate: {type: number}", f"    next: n{i + 1}"]
    lines += ["  n30: {kind: end}"]
    dialog = load_dialog_text("\n".join(lines) + "\n", "chain.yaml").dialog
    assert dialog is not None
    outcome = walk_dialog(Library([dialog]), dialog, max_states=50)
    assert outcome.passed, outcome.problems


def test_codes_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "codes", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| code | severity | problem | what to do |")
    assert "| RD071 | error |" in out
    assert main(["dialogs", "codes", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(CODES)


def test_odd_transcript_values_are_failures_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("full.yaml", "tips.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    (tmp_path / "full.test.yaml").write_text(
        "dialog: full\ntests:\n"
        "  - name: odd\n    steps:\n      - options: 5\n"
        "  - name: odder\n    steps:\n      - choose: sos\n"
        "      - expect: {contacts: 5, page: 3}\n"
        "  - steps: [{checkin: true}]\n"
        "  - name: fine\n    steps:\n      - choose: sos\n"
        "      - expect: {page: true, note: false}\n",
        encoding="utf-8",
    )
    assert main(["dialogs", "test", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL full: odd" in out
    assert "FAIL full: odder" in out
    assert "unknown step 'checkin'" in out
    assert out.strip().endswith("4 passed, 3 failed")


def test_check_finds_the_glossary_of_the_content_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    (content / "dialogs").mkdir(parents=True)
    shutil.copy(DATA / "tips.yaml", content / "dialogs" / "tips.yaml")
    (content / "glossary.yaml").write_text('en:\n  - avoid: "speak slowly"\n    use: "pause"\n')
    for given in (content, content / "dialogs"):
        assert main(["dialogs", "check", str(given)]) == 0  # warnings only
        out = capsys.readouterr().out
        assert " RD102 warning: " in out
        assert "avoid 'Speak slowly'" in out
        assert "(use: pause)" in out
    (content / "glossary.yaml").write_text("en:\n  - avoid: x\n    colour: red\n")
    assert main(["dialogs", "check", str(content)]) == 1
    out = capsys.readouterr().out
    assert f"{content / 'glossary.yaml'}:3:5: RD103 error: unknown key 'colour'" in out


def test_codes_document_the_guidance_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dialogs", "codes"]) == 0
    out = capsys.readouterr().out
    for code in ("RD100", "RD101", "RD102", "RD103", "RD104", "RD105"):
        assert code in out
        assert CODES[code].fix in out
    assert "3rd screen" in CODES["RD100"].fix
    assert "60 words" in CODES["RD101"].fix
