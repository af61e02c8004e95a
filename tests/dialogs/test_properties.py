"""Property tests: the condition parser and the engine never raise on arbitrary input."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs import (
    Cancel,
    Choose,
    Library,
    SessionState,
    Sos,
    Start,
    Text,
    Timeout,
    load_dialog_text,
    load_library,
    step,
)
from dialogs.checker import check_dialog_text
from dialogs.diagnostics import CODES
from dialogs.errors import ExpressionError
from dialogs.events import Event
from dialogs.expr import evaluate, parse_expression, variables
from tests.dialogs.helpers import DATA, NOW

LIB: Library = load_library(DATA).library

values = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(allow_nan=True), st.text()
)
names = st.sampled_from(["a", "b", "risk", "mood"])


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    atom = st.one_of(
        names,
        st.integers(-5, 5).map(str),
        st.sampled_from(["'high'", '"low"', "true", "false", "1.5"]),
        names.map(lambda n: f"defined({n})"),
    )
    if depth > 3:
        return draw(atom)
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(atom)
    if kind == 1:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return f"{draw(atom)} {op} {draw(atom)}"
    if kind == 2:
        op = draw(st.sampled_from(["and", "or"]))
        return f"{draw(expressions(depth + 1))} {op} {draw(expressions(depth + 1))}"
    if kind == 3:
        return f"not ({draw(expressions(depth + 1))})"
    if kind == 4:
        items = ", ".join(draw(st.lists(st.sampled_from(["'a'", "1", "'high'"]), max_size=3)))
        neg = draw(st.sampled_from(["", "not "]))
        return f"{draw(names)} {neg}in [{items}]"
    return f"({draw(expressions(depth + 1))})"


@given(st.text(max_size=80))
def test_parser_raises_only_expression_errors(source: str) -> None:
    try:
        expr = parse_expression(source)
    except ExpressionError:
        return
    evaluate(expr, {})


@given(expressions(), st.dictionaries(names, values))
def test_valid_expressions_parse_and_evaluate(source: str, env: dict[str, object]) -> None:
    expr = parse_expression(source)
    assert isinstance(evaluate(expr, env), bool)  # type: ignore[arg-type]
    assert variables(expr) <= {"a", "b", "risk", "mood"}
    assert parse_expression(source) == expr


@given(st.text(alphabet="ab()=!<> 'andort[],1", max_size=40))
def test_token_soup_never_crashes(source: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_expression(source)


option_ids = st.sampled_from(["sos", "talk", "tips", "more", "done", "yes", "no", "x"])
events = st.one_of(
    st.builds(Choose, option_ids, st.integers(0, 12)),
    st.builds(Text, st.sampled_from(["", "a", "he shouted", "2", "9", "42", "x" * 300])),
    st.just(Sos()),
    st.just(Cancel()),
    st.just(Timeout()),
    st.builds(Start, st.sampled_from(["full", "tips", "nope"]), st.sampled_from(["en", "fr"])),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(events, max_size=25), st.booleans())
def test_engine_never_raises_and_refusals_change_nothing(sequence: list[Event], aim: bool) -> None:
    state: SessionState | None = None
    for event in sequence:
        if aim and isinstance(event, Choose) and state is not None:
            event = Choose(event.option_id, state.turn)  # mostly valid turns
        result = step(LIB, state, event, NOW)
        if result.error is not None:
            assert result.state is state
            assert result.outputs == ()
        else:
            if state is not None and result.state is not None and not isinstance(event, Start):
                assert result.state.turn >= state.turn
        if result.state is not None:
            assert SessionState.from_dict(result.state.to_dict()) == result.state
        state = result.state


FULL_TEXT = (DATA / "full.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_loader_and_checker_never_raise_on_damaged_files(data: st.DataObject) -> None:
    lines = FULL_TEXT.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "edit", "indent"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "indent":
            lines[i] = "  " + lines[i]
        else:
            junk = data.draw(st.text(alphabet="abc:{}[]-'\"*&!|> #%@\t0", max_size=8))
            pos = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        if not lines:
            break
    text = "\n".join(lines) + "\n"
    result = check_dialog_text(text, "full.yaml", roles={"emergency"}, dialog_ids={"full"})
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.loc.file == "full.yaml"


@given(st.binary(max_size=200))
def test_loader_never_raises_on_bytes(data: bytes) -> None:
    result = load_dialog_text(data, "noise.yaml")
    assert result.dialog is not None or result.diagnostics
