"""The checker's view of one text: template syntax (RD040), the allowed template language
(RD120-RD124) and undefined variables (RD041), each located in the YAML file.

A problem inside a text is placed at the line and column of the offending `{{ }}` / `{% %}`
tag in the file: the tag is looked for from where the text starts (a block text `|` keeps its
lines; a quoted text may differ by its escapes, and then the text's own line is given).
"""

from __future__ import annotations

from collections.abc import Collection

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.template_rules import TemplateIssue, template_rules
from dialogs.templates import is_template, template_variables
from dialogs.yamlsafe import diag

__all__ = ["template_diagnostics"]

#: how many lines after a text's start its tags are looked for
_SEARCH_LINES = 400


def _yaml_loc(yaml_text: str, loc: Loc, issue: TemplateIssue) -> Loc:
    fallback = Loc(loc.file, loc.line + issue.line - 1, loc.col if issue.line == 1 else 0)
    if not yaml_text or not loc.line or not issue.needle:
        return fallback
    lines = yaml_text.split("\n")
    start = loc.line - 1
    for index in range(start, min(len(lines), start + _SEARCH_LINES)):
        line = lines[index]
        from_col = loc.col - 1 if index == start else 0
        found = line.find(issue.needle, max(from_col, 0))
        if found >= 0:
            return Loc(loc.file, index + 1, found + 1)
    return fallback


def template_diagnostics(
    source: str,
    loc: Loc,
    what: str,
    defined: Collection[str],
    yaml_text: str = "",
) -> list[Diagnostic]:
    """Problems of one text that may be a template; `defined`: variable names it may read;
    `yaml_text`: the file's text (to place a problem at its tag)."""
    if not is_template(source):
        return []
    checked = template_rules(source)
    out: list[Diagnostic] = []
    if isinstance(checked, tuple):
        for issue in checked:
            where = _yaml_loc(yaml_text, loc, issue)
            out.append(diag(where, issue.code, f"{what}: {issue.message}", issue.hint))
        return out
    for name in sorted(template_variables(source) - set(defined)):
        out.append(
            diag(
                loc,
                "RD041",
                f"{what} uses {name!r}, which no input node sets",
                "variables: " + ", ".join(sorted(defined)),
            )
        )
    return out
