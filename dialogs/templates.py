"""Texts are Jinja2 templates, rendered in a sandbox with StrictUndefined.

Plain texts (no `{{`, `{%` or `{#`) skip Jinja entirely. Compiled templates are cached by source.
"""

from __future__ import annotations

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


def _parse(source: str) -> nodes.Template | TemplateProblem:
    try:
        return _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateProblem(exc.message or "syntax error", exc.lineno or 1)


def template_problem(source: str) -> TemplateProblem | None:
    if not is_template(source):
        return None
    parsed = _parse(source)
    return parsed if isinstance(parsed, TemplateProblem) else None


def template_variables(source: str) -> frozenset[str]:
    """Names a template reads from its context (empty if it does not parse)."""
    if not is_template(source):
        return frozenset()
    parsed = _parse(source)
    if isinstance(parsed, TemplateProblem):
        return frozenset()
    return frozenset(meta.find_undeclared_variables(parsed))


@lru_cache(maxsize=4096)
def _compiled(source: str) -> Any:
    return _ENV.from_string(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    """Render a text; on any template error the source is shown as written (never raises)."""
    if not is_template(source):
        return source
    try:
        out = str(_compiled(source).render(**context))
    except Exception:
        return source
    return out[:MAX_OUTPUT]
