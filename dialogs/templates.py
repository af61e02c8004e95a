"""Texts are templates in the restricted language of `dialogs.template_rules`, rendered by a
Jinja2 sandbox with StrictUndefined, bounded in size.

Plain texts (no `{{`, `{%` or `{#`) skip Jinja entirely; a text made only of `{{ name }}`
placeholders is filled in without Jinja. Any other text is compiled only once its syntax tree
has passed the allow-list (whoever stored it: a dialog row in the database is not trusted
either), so rendering has no loops and takes time linear in the text. The output is cut at
`MAX_OUTPUT` characters (ending with "…"). A text that cannot be rendered (a construct not
allowed, a variable not set on this path, any error) shows `unavailable_text(lang)` instead:
never the template's source, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from dialogs.template_rules import FILTERS, TESTS, template_rules

__all__ = [
    "MAX_BODY_OUTPUT",
    "MAX_OUTPUT",
    "is_template",
    "render",
    "template_variables",
    "unavailable_text",
]

#: the most characters one rendered text may have (documented in content/README.md)
MAX_OUTPUT = 8_192
#: a note's body gathers what was typed: only a memory bound (the notes use case has its own)
MAX_BODY_OUTPUT = 65_536
_CUT = "…"
_UNAVAILABLE = {
    "en": "[This part of the guidance cannot be shown. Please tell a psychologist.]",
    "fr": "[Cette partie du guide ne peut pas être affichée. Merci de le signaler à un"
    " psychologue.]",
}


class _Environment(SandboxedEnvironment):
    """Defence in depth behind the allow-list: every binary operator is intercepted (which
    also stops the compiler from folding constants such as `'x' * 10**9`) and refused."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        raise SecurityError(f"operator {operator!r} is not allowed in a dialog text")


_ENV = _Environment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, cache_size=0
)
_ENV.globals.clear()  # no range(), lipsum(), dict(), namespace()...
_ENV.filters = {name: f for name, f in _ENV.filters.items() if name in FILTERS}
_ENV.tests = {name: t for name, t in _ENV.tests.items() if name in TESTS}


def is_template(source: str) -> bool:
    return "{" in source and ("{{" in source or "{%" in source or "{#" in source)


def unavailable_text(lang: object) -> str:
    """What the person sees instead of a text that cannot be rendered."""
    return _UNAVAILABLE.get(lang if isinstance(lang, str) else "en", _UNAVAILABLE["en"])


def template_variables(source: str) -> frozenset[str]:
    """Names a template reads from its context (empty if it does not parse)."""
    if not is_template(source):
        return frozenset()
    simple = _compiled(source)[0]
    if len(simple) > 1:
        return frozenset(simple[1::2])
    checked = template_rules(source)
    if isinstance(checked, nodes.Template):
        return frozenset(meta.find_undeclared_variables(checked))
    return frozenset()


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@lru_cache(maxsize=4096)
def _compiled(source: str) -> tuple[tuple[str, ...], Template | None]:
    """A template made only of `{{ name }}` placeholders renders without Jinja (same output);
    then the first element alternates literal texts and variable names. Otherwise the compiled
    template, or ((), None) when it is not allowed or does not parse."""
    parts = _SIMPLE.split(source)
    if not any(is_template(literal) or "}}" in literal for literal in parts[::2]):
        if parts[-1].endswith("\n"):
            parts[-1] = parts[-1][:-1]  # as Jinja does with keep_trailing_newline=False
        return tuple(parts), None
    checked = template_rules(source)
    if isinstance(checked, tuple):
        return (), None  # refused before anything is compiled (the checker reports it)
    return (), _ENV.from_string(checked)


def _bounded(chunks: Iterable[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for chunk in chunks:
        out.append(chunk)
        size += len(chunk)
        if size > limit:
            return "".join(out)[: limit - len(_CUT)] + _CUT
    return "".join(out)


def render(source: str, context: Mapping[str, Any], limit: int = MAX_OUTPUT) -> str:
    """Render a text, at most `limit` characters; on any problem the person is shown
    `unavailable_text` in the context's `lang` (never raises)."""
    if not is_template(source):
        return source
    try:
        parts, template = _compiled(source)
        if template is not None:
            return _bounded(template.generate(**context), limit)
        if not parts:
            return unavailable_text(context.get("lang"))
        return _bounded(
            (part if i % 2 == 0 else str(context[part]) for i, part in enumerate(parts)), limit
        )
    except Exception:
        return unavailable_text(context.get("lang"))
