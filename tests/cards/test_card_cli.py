"""`relais dialogs card`: the card file written from the command line (SQLite), with the team's
contacts; the format from the extension; a clear refusal without WeasyPrint (HTML still works)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELAIS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RELAIS_DATA_DIR", str(tmp_path / "data"))
    invite = [
        "admin",
        "invite",
        "--role",
        "coordinator",
        "--name",
        "Anne Durand",
        "--team",
        "North",
    ]
    assert main(invite) == 0
    assert main(["contacts", "import", str(ROOT / "contacts.example.toml")]) == 0
    return tmp_path


def test_the_cli_writes_the_card(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    html_file = cli / "card.html"
    assert main(["dialogs", "card", "crisis", "--lang", "fr", "-o", str(html_file)]) == 0
    assert "pocket card of crisis v1 (fr," in capsys.readouterr().err
    html = html_file.read_text(encoding="utf-8")
    assert "Quelqu&#39;un est en danger maintenant" in html
    assert "Psychologue d&#39;astreinte" in html  # a role of the directory, in French
    assert "+33" in html  # a number from contacts.example.toml
    weasyprint = pytest.importorskip("weasyprint")
    assert len(weasyprint.HTML(string=html).render().pages) == 1  # the whole example directory
    pdf_file = cli / "card.pdf"
    assert main(["dialogs", "card", "--lang", "fr", "-o", str(pdf_file), "--team", "North"]) == 0
    assert pdf_file.read_bytes().startswith(b"%PDF-")


def test_the_cli_refuses_what_it_cannot_do(
    cli: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    assert main(["dialogs", "card", "crisis", "-o", str(cli / "card.docx")]) == 1
    assert "name the card .pdf or .html" in capsys.readouterr().err
    assert main(["dialogs", "card", "who_does_what", "-o", str(cli / "card.html")]) == 1
    assert "no crisis dialog 'who_does_what'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if WeasyPrint were not installed
    assert main(["dialogs", "card", "crisis", "-o", str(cli / "card.pdf")]) == 1
    err = capsys.readouterr().err
    assert "WeasyPrint cannot be loaded" in err
    assert "apt-get install libpango" in err
    assert not (cli / "card.pdf").exists()
    assert main(["dialogs", "card", "crisis", "-o", str(cli / "card.html")]) == 0
