"""Property tests: whatever a dialog text holds, checking it and rendering it never raise,
never compile what the allow-list refuses, and stay bounded in size."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import nodes

from dialogs.template_rules import template_rules
from dialogs.templates import MAX_OUTPUT, is_template, render, unavailable_text

_TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", " ", "\n", "if", "elif", "else",
    "endif", "for", "endfor", "in", "not", "and", "or", "is", "defined", "set", "=", "raw",
    "endraw", "x", "case", "name", "'a'", '"b"', "9", "10**9", "*", "**", "+", "-", "~", "/",
    "%", "(", ")", "[", "]", ",", ".", "|", "upper", "truncate", "default", "format", "range",
    "lipsum", "__class__", ":", "==", "<", "text",
]  # fmt: skip

templates = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(templates)
def test_checking_and_rendering_never_raise_and_stay_bounded(source: str) -> None:
    checked = template_rules(source)
    assert isinstance(checked, tuple | nodes.Template)
    if isinstance(checked, nodes.Template):
        refused = (nodes.For, nodes.Assign, nodes.Call, nodes.Mul, nodes.Pow, nodes.Getattr)
        assert not any(True for _ in checked.find_all(refused))
    started = time.perf_counter()
    out = render(source, {"x": "value", "case": "K-1", "name": "Ana", "lang": "en"})
    assert time.perf_counter() - started < 1.0
    assert len(out) <= max(MAX_OUTPUT, len(source))
    if is_template(source) and isinstance(checked, tuple):
        assert out == unavailable_text("en")
