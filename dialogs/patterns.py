"""Answer patterns (`validate: {pattern: ...}`) run on RE2, a regular expression engine whose
matching time is linear in the answer's length, whatever the pattern.

Python's own `re` backtracks: `([A-Za-z]+\\s?)+` takes seconds on a 27-letter answer, doubling
with every letter, on the event loop that serves every chat. RE2 refuses what it cannot match
in linear time (backreferences, lookarounds, atomic and possessive groups) and bounds the
compiled program (`MAX_PROGRAM_BYTES`; repeats at most `{1000}`). Its `\\w`, `\\d`, `\\s` and
`\\b` are ASCII; `\\pL` is any letter, `\\p{Lu}` an upper-case one.

`compile_pattern(source)` returns the compiled pattern or a `PatternProblem` (RD045: it is not
a regular expression at all; RD125: it is one, but not one RE2 runs). `pattern_matches` is what
the engine calls; a pattern that does not compile never matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2

__all__ = ["MAX_PATTERN", "MAX_PROGRAM_BYTES", "PatternProblem", "compile_pattern", "matches"]

MAX_PATTERN = 200
MAX_PROGRAM_BYTES = 1 << 20

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every refused pattern to stderr
_OPTIONS.max_mem = MAX_PROGRAM_BYTES

#: constructs RE2 refuses, as an author would name them (looked for in the pattern)
_CONSTRUCTS = (
    (re.compile(r"\\[1-9]|\\g<"), "backreferences such as \\1 are not supported"),
    (re.compile(r"\(\?P="), "named backreferences (?P=name) are not supported"),
    (re.compile(r"\(\?="), "lookahead (?=...) is not supported"),
    (re.compile(r"\(\?!"), "negative lookahead (?!...) is not supported"),
    (re.compile(r"\(\?<[=!]"), "lookbehind (?<=...) / (?<!...) is not supported"),
    (re.compile(r"\(\?>"), "atomic groups (?>...) are not supported"),
    (re.compile(r"\(\?\("), "conditional groups are not supported"),
    (re.compile(r"[*+?}]\+"), "possessive repeats (*+ ++ ?+) are not supported"),
)
#: RE2's own words for the other refusals
_ERRORS = (
    ("invalid repetition size", "a repeat count is at most {1000}"),
    ("pattern too large", "the pattern is too large once compiled"),
)


@dataclass(frozen=True, slots=True)
class PatternProblem:
    code: str
    message: str
    hint: str = ""


def _reason(source: str, error: str) -> str:
    for construct, reason in _CONSTRUCTS:
        if construct.search(source):
            return reason
    for needle, reason in _ERRORS:
        if needle in error:
            return reason
    return error


@lru_cache(maxsize=512)
def compile_pattern(source: str) -> Any:
    """The compiled pattern (an RE2 regexp), or a PatternProblem saying why not."""
    if len(source) > MAX_PATTERN:
        return PatternProblem("RD045", f"pattern longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(source, _OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        error = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    except Exception as exc:  # the binding raises others on odd input (e.g. surrogates)
        error = type(exc).__name__
    try:
        re.compile(source)
    except (re.error, RecursionError, OverflowError) as exc:
        return PatternProblem("RD045", f"pattern does not compile: {exc}")
    return PatternProblem(
        "RD125",
        f"pattern {source[:40]!r}: {_reason(source, error)}",
        "answer patterns run on a linear-time engine (RE2); see content/README.md",
    )


def matches(source: str, answer: str) -> bool:
    """Whether the whole answer matches the pattern; False if the pattern does not compile."""
    pattern = compile_pattern(source)
    if isinstance(pattern, PatternProblem):
        return False
    try:
        return pattern.fullmatch(answer) is not None
    except Exception:  # never let a match raise into a chat turn
        return False
