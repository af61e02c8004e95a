"""Documents from templates that psychologists edit: `content/templates/<name>.<md|html>.j2`.

One renderer for every document Relais produces (the evaluation report, a case's review pack and
exit report, a pocket card ...), so each gets the same guarantees:

- **Sandboxed.** Jinja's `ImmutableSandboxedEnvironment`: no attribute starting with `_`, no
  method that mutates, no globals but a bounded `range`. A template receives plain values only
  (strings, numbers, lists, dicts) built by the caller: what is not in `values` cannot be shown.
- **Checked with located errors.** `check_templates(folder)` parses every `*.j2` file and returns
  `path:line: message` for each that does not parse; `render_document` names the file and line
  of a failure. HTML templates are autoescaped, Markdown ones are not.
- **Bounded.** Output stops at `MAX_CHARS` characters and rendering at `MAX_SECONDS` seconds
  (checked at every output chunk, call, attribute, item and `range` step); either raises
  `DocumentError` instead of filling the disk or hanging the bot.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.errors import ConfigError

__all__ = [
    "FORMATS",
    "MAX_CHARS",
    "MAX_RANGE",
    "MAX_SECONDS",
    "DocumentError",
    "Format",
    "check_templates",
    "render_document",
]

FORMATS = ("md", "html")
Format = Literal["md", "html"]

#: a document longer than this is refused (a month's review pack is a few tens of KB)
MAX_CHARS = 2_000_000
#: a template that renders for longer than this is stopped
MAX_SECONDS = 5.0
#: the largest `range(...)` a template may ask for
MAX_RANGE = 10_000


class DocumentError(ConfigError):
    """A document template failed: it does not parse, refers to something missing, or exceeds
    the time or size bound. The message names the file and, when known, the line."""


@dataclass
class _Budget:
    deadline: float
    where: str

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise DocumentError(
                f"{self.where}: the template took longer than {MAX_SECONDS:g} s to render "
                "(a loop too large?); simplify it, or restore it from Relais's content/templates"
            )


class _Environment(ImmutableSandboxedEnvironment):
    budget: _Budget | None = None

    def _tick(self) -> None:
        if self.budget is not None:
            self.budget.check()

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(obj, argument)


def _environment(folder: Path) -> _Environment:
    env = _Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def bounded_range(*args: int) -> Iterator[int]:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise DocumentError(f"range() of more than {MAX_RANGE:,} items in a template")
        for n in numbers:
            env._tick()
            yield n

    env.globals = {"range": bounded_range}
    return env


def render_document(
    folder: Path,
    name: str,
    values: Mapping[str, Any],
    *,
    max_chars: int = MAX_CHARS,
    max_seconds: float = MAX_SECONDS,
) -> str:
    """Render `folder/name` (e.g. `review_pack.md.j2`) with `values`, within the bounds."""
    where = str(folder / name)
    env = _environment(folder)
    env.budget = _Budget(time.monotonic() + max_seconds, where)
    parts: list[str] = []
    size = 0
    try:
        template = env.get_template(name)
        for chunk in template.generate(**values):
            size += len(chunk)
            if size > max_chars:
                raise DocumentError(
                    f"{where}: the document is longer than {max_chars:,} characters; "
                    "check the template for a loop that repeats too much"
                )
            parts.append(chunk)
            env.budget.check()
    except DocumentError:
        raise
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        located = where + (f":{line}" if line else "")
        raise DocumentError(
            f"{located}: the template failed: {exc} (fix the template, or restore it from "
            "Relais's content/templates)"
        ) from None
    except (ValueError, TypeError, ArithmeticError, LookupError) as exc:
        raise DocumentError(f"{where}: the template failed: {exc}") from None
    return "".join(parts)


def check_templates(folder: Path) -> list[str]:
    """`path:line: message` for every template in `folder` that does not parse."""
    env = _environment(folder)
    problems: list[str] = []
    for path in sorted(folder.glob("*.j2")):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot be read: {exc}")
            continue
        try:
            env.parse(source, name=path.name, filename=str(path))
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            problems.append(f"{path}" + (f":{line}" if line else "") + f": {exc}")
    return problems
