"""The exit report's plan (content/exit_report.yaml) and its document templates
(content/templates/exit_report.<md|html>.j2), rendered through the one sandboxed renderer."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.chat.catalog import BUNDLED_CONTENT, Catalog
from bot.exit.plan import check_exit_plan, load_exit_plan, parse_exit_plan
from bot.exit.report import render_exit_report
from bot.exit.usecases import ExitProgress, ExitReport, FollowUpDue
from bot.reports.documents import DocumentError
from bot.usecases.contacts import ContactEntry
from bot.usecases.dataprotection import known_contact_roles
from dialogs import load_contact_roles
from storage.records import Case
from storage.repos.exit_answers import ExitAnswer

WHEN = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
ROLES = load_contact_roles(BUNDLED_CONTENT / "contact_roles.yaml").roles
PLAN = load_exit_plan(BUNDLED_CONTENT)


def role_label(role: str, lang: str) -> str:
    return ROLES[role].label_in(lang)


def _answer(element: str, text: str, revision: int = 1) -> ExitAnswer:
    return ExitAnswer(element, text, "p1", "Cora Owner", revision, WHEN, WHEN)


def _report(answers: list[ExitAnswer], *, closed: bool = False) -> ExitReport:
    case = Case(
        "c1", "t1", "K-7F3A", "closed" if closed else "open", "p1", WHEN, WHEN if closed else None
    )
    return ExitReport(
        case=case,
        owner_name="Cora Owner",
        progress=ExitProgress("K-7F3A", PLAN.ids, {a.element: a for a in answers}),
        contacts=(
            ContactEntry("case_owner", "Cora Owner", None, None, None, False, "p1", None),
            ContactEntry("exit_worker", "Léa Exit", "0611", "Mon-Fri", None, False, None, "x"),
        ),
        follow_up=(FollowUpDue(datetime(2027, 2, 3, 9, 0, tzinfo=UTC), "active"),),
        generated_at=WHEN,
    )


def _render(
    report: ExitReport, fmt: str, lang: str = "en", content: Path = BUNDLED_CONTENT
) -> str:
    return render_exit_report(
        report,
        PLAN,
        content_dir=content,
        catalog=Catalog.load(BUNDLED_CONTENT),
        role_label=role_label,
        lang=lang,
        fmt="html" if fmt == "html" else "md",
        time_zone="Europe/Paris",
    )


def test_the_plan_has_the_papers_six_elements_in_english_and_french() -> None:
    assert PLAN.ids == (
        "residual_risk",
        "service_strategies",
        "return_risk",
        "self_evaluation",
        "concerning_behaviours",
        "getting_help",
    )
    for element in PLAN.elements:
        for texts in (element.label, element.prompt, element.hint):
            assert set(texts) == {"en", "fr"}
        assert "RAN MH paper" in element.source
    assert PLAN.element("getting_help").prefill == "contacts"  # type: ignore[union-attr]
    assert set(PLAN.help_roles) <= set(ROLES)
    assert [step.after.days for step in PLAN.follow_up] == [30, 91, 182, 365]
    assert check_exit_plan(BUNDLED_CONTENT, known_contact_roles(BUNDLED_CONTENT)) == []


def test_a_broken_plan_names_every_problem_by_its_key() -> None:
    data = {
        "elements": [
            {"id": "Bad Id", "label": {"en": "x"}, "prompt": "x", "hint": {"en": "x", "fr": "y"}},
            {
                "id": "a",
                "label": {"en": "a", "fr": "a"},
                "prompt": {"en": "a", "fr": "a"},
                "hint": {"en": "a", "fr": "a"},
                "source": "s",
                "colour": "red",
            },
        ],
        "follow_up": {"at": "9h", "steps": [{"after": "2y", "label": {"en": "x", "fr": "x"}}]},
    }
    plan, problems = parse_exit_plan(data, "exit_report.yaml")
    assert plan is None
    assert problems == [
        "exit_report.yaml: elements[0].id: expected an id such as residual_risk ([a-z][a-z0-9_]*)",
        "exit_report.yaml: elements[0].source: say where this element comes from "
        "(the paper's words)",
        "exit_report.yaml: elements[0].label.fr: missing (every text in English and French)",
        "exit_report.yaml: elements[0].prompt: expected texts by language (en, fr)",
        "exit_report.yaml: elements[1].colour: unknown key",
        "exit_report.yaml: follow_up.at: expected a time HH:MM, found '9h'",
        "exit_report.yaml: follow_up.steps[0].after: expected a duration such as 30m, 2h, 1d or "
        "2w, found '2y'",
    ]


def test_markdown_says_what_is_missing_and_shows_answers_and_contacts() -> None:
    report = _report(
        [
            _answer("residual_risk", "Isolation remains the main risk.", revision=3),
            _answer("return_risk", "Low, reassessed in June."),
        ]
    )
    text = _render(report, "md")
    assert text.startswith("# Exit report: K-7F3A\n")
    assert "Case owner: Cora Owner" in text
    assert "**Incomplete: 2 of 6 elements answered.**" in text
    missing = text.split("Still missing:\n", 1)[1].split("\n\n", 1)[0]
    assert missing.splitlines() == [
        "- Strategies of the services involved",
        "- Self-evaluation plan",
        "- Concerning behaviours and self-management strategies",
        "- Where to get help",
    ]
    section = text.split("## 1. Residual risk", 1)[1].split("## 2.", 1)[0]
    assert "Isolation remains the main risk." in section
    assert "_Answered by Cora Owner, 2027-01-04 (version 3)_" in section
    assert "**Not answered yet.**" in text.split("## 2.", 1)[1].split("## 3.", 1)[0]
    assert "- Case owner: Cora Owner" in text
    assert "- Exit worker: Léa Exit – 0611 (Mon-Fri)" in text
    assert "## Post-exit follow-up check-ins\n\n- 2027-02-03" in text


def test_a_complete_report_in_french_and_an_answer_to_a_removed_element() -> None:
    answers = [_answer(e, f"réponse {e}") for e in PLAN.ids]
    answers.append(_answer("old_element", "kept from an older plan"))
    text = _render(_report(answers, closed=True), "md", lang="fr")
    assert text.startswith("# Rapport de sortie : K-7F3A") or text.startswith(
        "# Rapport de sortie: K-7F3A"
    )
    assert "Tous les éléments du rapport de sortie sont renseignés." in text
    assert "Incomplet" not in text
    assert "État du dossier: clôturé (clôturé le 2027-01-04)" in text
    assert "## 6. Où obtenir de l'aide" in text
    assert "- Intervenant de sortie: Léa Exit – 0611 (Mon-Fri)" in text
    assert "### old_element\n\nkept from an older plan" in text


def test_html_is_printable_and_escapes_what_was_typed() -> None:
    report = _report([_answer("residual_risk", "<script>alert('x')</script> & more")])
    html = _render(report, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "@media print" in html
    assert '<p class="missing">Incomplete: 1 of 6 elements answered.</p>' in html
    assert "<li>Where to get help</li>" in html
    assert "<li>Exit worker: Léa Exit – 0611 (Mon-Fri)</li>" in html


def test_a_broken_template_is_a_located_error(tmp_path: Path) -> None:
    shutil.copytree(BUNDLED_CONTENT / "templates", tmp_path / "templates")
    path = tmp_path / "templates" / "exit_report.md.j2"
    path.write_text("# {{ t.title }}\n{% if report.case %}\nno end\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"exit_report\.md\.j2:\d+: the template failed"):
        _render(_report([]), "md", content=tmp_path)
    path.write_text("# {{ t.title }}\n{{ report.nothing_here }}\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"exit_report\.md\.j2: .*no attribute 'nothing_here'"):
        _render(_report([]), "md", content=tmp_path)
