"""The safe condition language of `when:`; our own tokenizer and parser, never `eval`.

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := value (("==" | "!=" | "<" | "<=" | ">" | ">=") value | ["not"] "in" list)?
    value   := NAME | STRING | NUMBER | true | false | "(" expr ")" | "defined" "(" NAME ")" | list
    list    := "[" [value ("," value)*] "]"

An unset variable is None: comparisons with it are false, `defined(name)` tests for it.
Evaluation never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Union

from dialogs.errors import ExpressionError

__all__ = ["Expr", "Value", "evaluate", "literals", "parse_expression", "variables"]

Value = Union[str, int, float, bool, None]  # noqa: UP007
MAX_LENGTH = 500
MAX_DEPTH = 30

_KEYWORDS = {"and", "or", "not", "in", "true", "false", "defined"}


class _Tok(NamedTuple):
    kind: str  # num str name op kw end
    text: str
    col: int


_SCAN = re.compile(
    r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)|(?P<bad>\S))"""
)


def _tokenize(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    for match in _SCAN.finditer(source):
        kind = match.lastgroup
        if kind is None:  # only trailing blanks
            continue
        text = match.group(kind)
        col = match.start(kind) + 1
        if kind == "bad":
            raise ExpressionError(f"unexpected character {text!r}", col)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        tokens.append(_Tok(kind, text, col))
    tokens.append(_Tok("end", "", len(source) + 1))
    return tokens


class Expr:
    """A parsed condition."""

    __slots__ = ()

    def eval(self, env: Mapping[str, Value]) -> Value:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Const(Expr):
    value: Value

    def eval(self, env: Mapping[str, Value]) -> Value:
        return self.value


@dataclass(frozen=True, slots=True)
class _Var(Expr):
    name: str

    def eval(self, env: Mapping[str, Value]) -> Value:
        return env.get(self.name)


@dataclass(frozen=True, slots=True)
class _Defined(Expr):
    name: str

    def eval(self, env: Mapping[str, Value]) -> Value:
        return env.get(self.name) is not None


@dataclass(frozen=True, slots=True)
class _List(Expr):
    items: tuple[Expr, ...]

    def eval(self, env: Mapping[str, Value]) -> Value:  # pragma: no cover - only inside `in`
        return None


@dataclass(frozen=True, slots=True)
class _Not(Expr):
    operand: Expr

    def eval(self, env: Mapping[str, Value]) -> Value:
        return not _truth(self.operand.eval(env))


@dataclass(frozen=True, slots=True)
class _BoolOp(Expr):
    op: str
    operands: tuple[Expr, ...]

    def eval(self, env: Mapping[str, Value]) -> Value:
        if self.op == "and":
            return all(_truth(o.eval(env)) for o in self.operands)
        return any(_truth(o.eval(env)) for o in self.operands)


@dataclass(frozen=True, slots=True)
class _Compare(Expr):
    op: str
    left: Expr
    right: Expr

    def eval(self, env: Mapping[str, Value]) -> Value:
        left = self.left.eval(env)
        if self.op in ("in", "not in"):
            assert isinstance(self.right, _List)
            found = any(_equal(left, item.eval(env)) for item in self.right.items)
            return found if self.op == "in" else not found
        return _compare(self.op, left, self.right.eval(env))


def _truth(value: Value) -> bool:
    return bool(value)


def _coerce(left: Value, right: Value) -> tuple[Value, Value]:
    """A number typed as text compares as a number against a number."""
    if isinstance(left, str) and isinstance(right, int | float) and not isinstance(right, bool):
        try:
            return float(left), right
        except ValueError:
            return left, right
    if isinstance(right, str) and isinstance(left, int | float) and not isinstance(left, bool):
        try:
            return left, float(right)
        except ValueError:
            return left, right
    return left, right


def _equal(left: Value, right: Value) -> bool:
    left, right = _coerce(left, right)
    return left == right


def _compare(op: str, left: Value, right: Value) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return left is not None and right is not None and not _equal(left, right)
    left, right = _coerce(left, right)
    if left is None or right is None:
        return False
    try:
        if op == "<":
            return left < right  # type: ignore[operator]
        if op == "<=":
            return left <= right  # type: ignore[operator]
        if op == ">":
            return left > right  # type: ignore[operator]
        return left >= right  # type: ignore[operator]
    except TypeError:
        return False


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.pos]

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expect(self, text: str) -> _Tok:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op", "kw"):
            found = tok.text or "end of condition"
            raise ExpressionError(f"expected {text!r}, found {found!r}", tok.col)
        return tok

    def parse(self) -> Expr:
        expr = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(f"unexpected {tok.text!r}", tok.col)
        return expr

    def or_(self) -> Expr:
        items = [self.and_()]
        while self.peek().kind == "kw" and self.peek().text == "or":
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else _BoolOp("or", tuple(items))

    def and_(self) -> Expr:
        items = [self.not_()]
        while self.peek().kind == "kw" and self.peek().text == "and":
            self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else _BoolOp("and", tuple(items))

    def not_(self) -> Expr:
        tok = self.peek()
        if tok.kind == "kw" and tok.text == "not":
            self.take()
            self.enter(tok)
            operand = self.not_()
            self.depth -= 1
            return _Not(operand)
        return self.compare()

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("condition nested too deeply", tok.col)

    def compare(self) -> Expr:
        left = self.value()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return _Compare(tok.text, left, self.value())
        if tok.kind == "kw" and tok.text in ("in", "not"):
            self.take()
            op = "in"
            if tok.text == "not":
                self.expect("in")
                op = "not in"
            right = self.value()
            if not isinstance(right, _List):
                raise ExpressionError(f"'{op}' needs a list such as ['a', 'b']", tok.col)
            return _Compare(op, left, right)
        return left

    def value(self) -> Expr:
        tok = self.take()
        if tok.kind == "num":
            return _Const(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "str":
            return _Const(_unquote(tok.text))
        if tok.kind == "name":
            return _Var(tok.text)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return _Const(tok.text == "true")
        if tok.kind == "kw" and tok.text == "defined":
            self.expect("(")
            name = self.take()
            if name.kind != "name":
                raise ExpressionError("defined() takes a variable name", name.col)
            self.expect(")")
            return _Defined(name.text)
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok)
            inner = self.or_()
            self.expect(")")
            self.depth -= 1
            return inner
        if tok.kind == "op" and tok.text == "[":
            items: list[Expr] = []
            if self.peek().text != "]":
                while True:
                    item = self.value()
                    if not isinstance(item, _Const):
                        raise ExpressionError("a list holds texts and numbers only", tok.col)
                    items.append(item)
                    if self.peek().text == ",":
                        self.take()
                        continue
                    break
            self.expect("]")
            return _List(tuple(items))
        found = tok.text or "end of condition"
        raise ExpressionError(f"expected a value, found {found!r}", tok.col)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse_expression(source: str) -> Expr:
    """Parse a condition; raises ExpressionError (with a 1-based column) if it is invalid."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"condition longer than {MAX_LENGTH} characters", 1)
    return _parse_cached(source)


@lru_cache(maxsize=2048)
def _parse_cached(source: str) -> Expr:
    return _Parser(source).parse()


def evaluate(expr: Expr, env: Mapping[str, Value]) -> bool:
    """The truth of a condition; never raises."""
    return _truth(expr.eval(env))


def _nodes(expr: Expr) -> Iterator[Expr]:
    """Every node of a condition, depth first."""
    yield expr
    if isinstance(expr, _Not):
        yield from _nodes(expr.operand)
    elif isinstance(expr, _BoolOp):
        for operand in expr.operands:
            yield from _nodes(operand)
    elif isinstance(expr, _Compare):
        yield from _nodes(expr.left)
        yield from _nodes(expr.right)
    elif isinstance(expr, _List):
        for item in expr.items:
            yield from _nodes(item)


def variables(expr: Expr) -> frozenset[str]:
    """The variable names a condition reads (including those inside defined())."""
    return frozenset(node.name for node in _nodes(expr) if isinstance(node, _Var | _Defined))


def literals(expr: Expr) -> frozenset[str]:
    """The constants a condition compares with (used to explore dialogs)."""
    return frozenset(
        str(node.value)
        for node in _nodes(expr)
        if isinstance(node, _Const) and node.value is not None and not isinstance(node.value, bool)
    )
