"""Texts are Jinja2 templates, rendered in a sandbox with StrictUndefined.

Plain texts (no `{{`, `{%` or `{#`) skip Jinja entirely. Compiled templates are cached by source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["TemplateProblem", "is_template", "render", "template_problem", "template_variables"]

_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, cache_size=0
)
MAX_OUTPUT = 20_000


def is_template(source: str) -> bool:
    return "{" in source and ("{{" in source or "{%" in source or "{#" in source)


class TemplateProblem:
    """Why a template does not parse: message and 1-based line within the template."""

    __slots__ = ("line", "message")

    def __init__(self, message: str, line: int) -> None:
        self.message = message
        self.line = line


@lru_cache(maxsize=1024)
def _parse(source: str) -> nodes.Template | TemplateProblem:
    try:
        return _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateProblem(exc.message or "syntax error", exc.lineno or 1)


def template_problem(source: str) -> TemplateProblem | None:
    if not is_template(source) or len(_compiled(source)[0]) > 1:
        return None  # made only of {{ name }} placeholders: it parses
    parsed = _parse(source)
    return parsed if isinstance(parsed, TemplateProblem) else None


def template_variables(source: str) -> frozenset[str]:
    """Names a template reads from its context (empty if it does not parse)."""
    if not is_template(source):
        return frozenset()
    simple = _compiled(source)[0]
    if len(simple) > 1:
        return frozenset(simple[1::2])
    parsed = _parse(source)
    if isinstance(parsed, TemplateProblem):
        return frozenset()
    return frozenset(meta.find_undeclared_variables(parsed))


_SIMPLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@lru_cache(maxsize=4096)
def _compiled(source: str) -> tuple[tuple[str, ...], Any]:
    """A template made only of `{{ name }}` placeholders renders without Jinja (same output);
    then the first element alternates literal texts and variable names."""
    parts = _SIMPLE.split(source)
    if not any(is_template(literal) or "}}" in literal for literal in parts[::2]):
        if parts[-1].endswith("\n"):
            parts[-1] = parts[-1][:-1]  # as Jinja does with keep_trailing_newline=False
        return tuple(parts), None
    try:
        return (), _ENV.from_string(source)
    except TemplateSyntaxError:
        return (source,), None  # shown as written; the checker reports it (RD040)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a text; on any template error the source is shown as written (never raises)."""
    if not is_template(source):
        return source
    try:
        parts, template = _compiled(source)
        if template is None:
            out = "".join(
                part if i % 2 == 0 else str(context[part]) for i, part in enumerate(parts)
            )
        else:
            out = str(template.render(**context))
    except Exception:
        return source
    return out[:MAX_OUTPUT]
