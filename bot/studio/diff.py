"""A side-by-side line diff of two YAML texts (difflib, on the server: no script needed).

`side_by_side(before, after)` returns the rows a reviewer reads: unchanged lines around each
change (`context` of them), `skip` rows where unchanged lines are left out, and changed lines
paired left and right. Pure: no I/O.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

__all__ = ["DiffRow", "side_by_side"]

Kind = Literal["same", "changed", "added", "removed", "skip"]


@dataclass(frozen=True, slots=True)
class DiffRow:
    kind: Kind
    left_no: int | None = None
    left: str = ""
    right_no: int | None = None
    right: str = ""
    skipped: int = 0  # for a `skip` row: how many unchanged lines are not shown


def side_by_side(before: str, after: str, *, context: int = 3) -> list[DiffRow]:
    left, right = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    rows: list[DiffRow] = []
    shown_to = 0  # left lines accounted for so far
    for group in matcher.get_grouped_opcodes(context):
        first = group[0][1]
        if first > shown_to:
            rows.append(DiffRow("skip", skipped=first - shown_to))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows(tag, left, right, i1, i2, j1, j2))
        shown_to = group[-1][2]
    if rows and shown_to < len(left):
        rows.append(DiffRow("skip", skipped=len(left) - shown_to))
    return rows


def _rows(
    tag: str, left: list[str], right: list[str], i1: int, i2: int, j1: int, j2: int
) -> list[DiffRow]:
    if tag == "equal":
        return [
            DiffRow("same", i + 1, left[i], j + 1, right[j])
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows: list[DiffRow] = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        has_left, has_right = i < i2, j < j2
        kind: Kind = "changed" if has_left and has_right else ("removed" if has_left else "added")
        rows.append(
            DiffRow(
                kind,
                i + 1 if has_left else None,
                left[i] if has_left else "",
                j + 1 if has_right else None,
                right[j] if has_right else "",
            )
        )
    return rows
