"""The pocket card of the bundled crisis dialog: situations, key steps and contacts in the page,
no template source, one printed A4 page as a real PDF; template errors located; nothing
fetched by the PDF renderer; a clear message without WeasyPrint."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.cards import (
    CardContact,
    PdfUnavailable,
    card_dialog,
    card_file,
    card_html,
    card_pdf,
    crisis_dialog_ids,
)
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.errors import NotFound
from bot.reports.documents import DocumentError

CONTENT = Path(__file__).resolve().parents[2] / "content"
CONTACTS = [
    CardContact("on_call_psychologist", "Dr Claire Martin", "+33 6 12 34 56 78", "24/7"),
    CardContact("emergency", "Services d'urgence", "112"),
]


@pytest.fixture(scope="module")
def registry() -> DialogRegistry:
    return DialogRegistry.from_content(CONTENT)


def _html(registry: DialogRegistry, lang: str = "fr", content: Path = CONTENT) -> str:
    return card_html(
        "crisis",
        lang,
        dialogs=registry,
        catalog=Catalog.load(content),
        content_dir=content,
        contacts=CONTACTS,
        today=date(2026, 12, 4),
    )


def test_the_french_card_has_the_situations_steps_and_contacts(registry: DialogRegistry) -> None:
    html = _html(registry)
    crisis = registry.source().get("crisis")
    assert crisis is not None
    start = crisis.nodes[crisis.start]
    labels = [o.label.values["fr"] for o in start.options]  # type: ignore[attr-defined]
    for label in labels:  # every situation of the first screen, in French
        assert label.replace("'", "&#39;") in html, label
    assert "Fiche de poche" in html
    assert "Appelez les services d&#39;urgence maintenant" in html  # a key step
    assert "Le psychologue d&#39;astreinte est alerté." in html  # `{% if case %}` dropped
    assert "Dr Claire Martin" in html
    assert "+33 6 12 34 56 78" in html
    assert html.index("Services d&#39;urgence") < html.index("Dr Claire Martin")  # card order
    assert "{{" not in html
    assert "{%" not in html
    assert "dossier {{" not in html
    english = _html(registry, "en")
    assert "Someone is in danger now" in english
    assert "Who to call" in english


def test_the_pdf_is_one_printed_page(registry: DialogRegistry) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    html = _html(registry)
    pdf = card_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5_000
    pages = weasyprint.HTML(string=html).render().pages
    assert len(pages) == 1  # a pocket card is one page
    assert round(pages[0].width / 96 * 25.4) == 210  # A4


def test_only_crisis_dialogs_have_a_card(registry: DialogRegistry) -> None:
    ids = crisis_dialog_ids(registry)
    assert ids[0] == "crisis"
    assert "who_does_what" not in ids  # not tagged crisis
    with pytest.raises(NotFound, match="no crisis dialog 'who_does_what'"):
        card_html(
            "who_does_what",
            "fr",
            dialogs=registry,
            catalog=Catalog.load(CONTENT),
            content_dir=CONTENT,
            contacts=[],
            today=date(2026, 12, 4),
        )


def test_a_broken_template_is_located(registry: DialogRegistry, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT / "templates", content / "templates")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    template = content / "templates" / "pocket_card.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "{{ card.title }}</h1>", "{{ card.title }</h1>"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match=r"pocket_card\.html\.j2:\d+: the template failed"):
        _html(registry, content=content)


def test_the_pdf_renderer_fetches_no_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    sheet = tmp_path / "a3.css"
    sheet.write_text("@page { size: A3; }", encoding="utf-8")
    html = (
        f'<html><head><link rel="stylesheet" href="{sheet.as_uri()}"></head><body>x</body></html>'
    )
    pdf = card_pdf(html)
    assert pdf.startswith(b"%PDF-")
    # the same page with the sheet fetched would be A3: card_pdf's fetcher refused it
    fetched = weasyprint.HTML(string=html).render().pages[0]
    assert round(fetched.width / 96 * 25.4) == 297
    refused = [r.getMessage() for r in caplog.records if "disallowed protocol" in r.getMessage()]
    assert len(refused) == 1  # card_pdf's fetch, refused; the plain render above fetched it


def test_without_weasyprint_the_pdf_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    with pytest.raises(PdfUnavailable, match="apt-get install libpango"):
        card_pdf("<html><body>x</body></html>")


async def test_the_card_file_falls_back_to_the_page_without_weasyprint(
    registry: DialogRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    dialog = card_dialog(registry, "crisis")
    card = await card_file(
        dialog,
        "fr",
        dialogs=registry,
        catalog=Catalog.load(CONTENT),
        content_dir=CONTENT,
        contacts=CONTACTS,
        today=date(2026, 12, 4),
    )
    assert (card.file_name, card.content_type, card.is_pdf) == (
        "crisis-fr.html",
        "text/html",
        False,
    )
    assert card.data.decode("utf-8") == _html(registry)
