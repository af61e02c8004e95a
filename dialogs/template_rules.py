"""The template language of dialog texts, as an allow-list over Jinja2's syntax tree.

A dialog text may insert values and choose between texts, nothing more:

- `{{ name }}`, with the filters of `FILTERS` (`{{ name | default('someone') | upper }}`);
- `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}`, and `a if test else b`;
- in conditions: `== != < <= > >=`, `in` / `not in` (a list of literals, or a text), `and`,
  `or`, `not`, and the tests `is defined`, `is undefined`, `is none`;
- literals: texts of at most `MAX_LITERAL` characters, numbers of at most 15 digits, lists of
  at most `MAX_LIST_ITEMS` literals, true/false/none; `{# comments #}` and `{% raw %}`.

Nothing else: no loops, no `set`, macros, blocks, includes or calls, no arithmetic or `~`, no
attribute or item access. Without loops a text renders in time linear in its length.

`template_rules(source)` parses (never compiles: Jinja's compiler folds constants, so compiling
`{{ 'x' * 10**9 }}` would build the gigabyte) and walks the tree; it returns the tree when
every node is allowed, else the problems, each with its code (RD040, RD120-RD124), its line and
column within the text, and a hint. The checker reports them; the renderer refuses a text that
has any, whoever stored it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, nodes

__all__ = [
    "FILTERS",
    "MAX_DEPTH",
    "MAX_LIST_ITEMS",
    "MAX_LITERAL",
    "MAX_NODES",
    "MAX_SOURCE",
    "TESTS",
    "TemplateIssue",
    "template_rules",
]

#: filters a text may use (aliases included)
FILTERS = frozenset(
    {"default", "d", "upper", "lower", "capitalize", "title", "trim", "truncate", "length"}
)
#: tests a condition may use (`x is defined`)
TESTS = frozenset({"defined", "undefined", "none"})
MAX_LITERAL = 200
MAX_LIST_ITEMS = 50
MAX_NUMBER = 10**15
MAX_DEPTH = 40
MAX_NODES = 2_000
#: longer texts are not parsed at all (a text is at most 4,096 characters: RD062)
MAX_SOURCE = 8_192

_HINT = (
    "a dialog text inserts values ({{ name }}, {{ name | upper }}) and chooses with"
    " {% if %}/{% elif %}/{% else %}, nothing more (content/README.md, templates)"
)
_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.For: "for",
    nodes.Macro: "macro",
    nodes.CallBlock: "call",
    nodes.FilterBlock: "filter",
    nodes.With: "with",
    nodes.Block: "block",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from",
    nodes.ExprStmt: "do",
    nodes.Assign: "set",
    nodes.AssignBlock: "set",
    nodes.Extends: "extends",
    nodes.Continue: "continue",
    nodes.Break: "break",
    nodes.Scope: "scope",
    nodes.OverlayScope: "overlay",
    nodes.EvalContextModifier: "autoescape",
}
_OPERATORS: dict[type[nodes.Node], tuple[str, str]] = {
    nodes.Mul: ("*", "arithmetic ('*')"),
    nodes.Pow: ("**", "arithmetic ('**')"),
    nodes.Add: ("+", "arithmetic ('+')"),
    nodes.Sub: ("-", "arithmetic ('-')"),
    nodes.Div: ("/", "arithmetic ('/')"),
    nodes.FloorDiv: ("//", "arithmetic ('//')"),
    nodes.Mod: ("%", "arithmetic ('%')"),
    nodes.Concat: ("~", "joining with '~'"),
    nodes.Getattr: (".", "attribute access ('.')"),
    nodes.Getitem: ("[", "item access ('[...]')"),
    nodes.Slice: (":", "slicing"),
    nodes.Call: ("(", "calling a function or method"),
    nodes.Dict: ("{", "a dict literal"),
}
_COMPARISONS = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin"})
_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.If,
    nodes.Name,
    nodes.Const,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
    nodes.List,
    nodes.Tuple,
    nodes.Neg,
    nodes.Pos,
)
# Parsing only: nothing here is compiled or rendered.
_PARSER = Environment(autoescape=False)


@dataclass(frozen=True, slots=True)
class TemplateIssue:
    """A construct a dialog text may not use; line and col are 1-based within the text (col 0:
    unknown); `needle` is the text of the construct, to find it in the YAML file."""

    code: str
    message: str
    line: int
    col: int = 0
    hint: str = ""
    needle: str = ""


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{.*|\{%.*")


def _locate(source: str, line: int, needle: str) -> tuple[int, str]:
    """The column of the first tag on `line` of the text holding `needle` (else of its first
    tag), and that tag's text."""
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return 0, ""
    tags = list(_TAG.finditer(lines[line - 1]))
    for match in tags:
        if needle and needle in match.group()[2:]:
            return match.start() + 1, match.group()
    if tags:
        return tags[0].start() + 1, tags[0].group()
    return 0, ""


class _Walk:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[TemplateIssue] = []
        self.count = 0

    def issue(self, code: str, message: str, node: nodes.Node, needle: str, hint: str) -> None:
        line = getattr(node, "lineno", 1) or 1
        col, tag = _locate(self.source, line, needle)
        self.issues.append(TemplateIssue(code, message, line, col, hint, tag or needle))

    def run(self, tree: nodes.Template) -> None:
        # iterative, depth-bounded: a hostile text cannot exhaust the Python stack here
        stack: list[tuple[nodes.Node, int, nodes.Node | None]] = [(tree, 0, None)]
        while stack:
            node, depth, parent = stack.pop()
            self.count += 1
            if self.count > MAX_NODES:
                self.issue(
                    "RD124",
                    f"the text has more than {MAX_NODES:,} template parts",
                    node,
                    "",
                    "split it into several texts or nodes",
                )
                return
            if depth > MAX_DEPTH:
                self.issue(
                    "RD124",
                    f"the template is nested more than {MAX_DEPTH} levels deep",
                    node,
                    "",
                    "simplify the conditions",
                )
                return
            if self.node(node, parent):
                children = list(node.iter_child_nodes())
                stack.extend((child, depth + 1, node) for child in reversed(children))

    def node(self, node: nodes.Node, parent: nodes.Node | None) -> bool:
        """Report a node that is not allowed; True to walk its children."""
        kind = type(node)
        if kind in _STATEMENTS:
            tag = _STATEMENTS[kind]
            self.issue("RD120", f"{{% {tag} %}} is not allowed in a dialog text", node, tag, _HINT)
            return False
        if kind in _OPERATORS:
            needle, what = _OPERATORS[kind]
            self.issue("RD121", f"{what} is not allowed in a dialog text", node, needle, _HINT)
            return False
        if not isinstance(node, _ALLOWED):
            self.issue(
                "RD121", f"{kind.__name__} is not allowed in a dialog text", node, "", _HINT
            )
            return False
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Test):
            if node.name not in TESTS or node.args or node.kwargs or node.dyn_args:
                self.issue(
                    "RD122",
                    f"the test 'is {node.name}' is not allowed in a dialog text",
                    node,
                    node.name,
                    "tests: " + ", ".join(f"is {t}" for t in sorted(TESTS)),
                )
                return False
        elif isinstance(node, nodes.Name):
            if node.ctx != "load":
                self.issue("RD120", "assigning a variable is not allowed", node, node.name, _HINT)
                return False
        elif isinstance(node, nodes.Operand):
            if node.op not in _COMPARISONS:
                self.issue("RD121", f"the comparison {node.op!r} is not allowed", node, "", _HINT)
                return False
        elif isinstance(node, nodes.Const):
            return self.const(node)
        elif isinstance(node, nodes.List | nodes.Tuple):
            return self.sequence(node)
        elif isinstance(node, nodes.Neg | nodes.Pos) and not (
            isinstance(node.node, nodes.Const) and isinstance(node.node.value, int | float)
        ):
            self.issue("RD121", "a sign goes before a number only", node, "-", _HINT)
            return False
        elif isinstance(node, nodes.Keyword) and not isinstance(node.value, nodes.Const):
            self.issue("RD122", "a filter's named argument must be a literal", node, node.key, "")
            return False
        return True

    def filter(self, node: nodes.Filter) -> bool:
        if node.name not in FILTERS or node.dyn_args is not None or node.dyn_kwargs is not None:
            self.issue(
                "RD122",
                f"the filter |{node.name} is not allowed in a dialog text",
                node,
                node.name,
                "filters: " + ", ".join(sorted(FILTERS)),
            )
            return False
        for arg in node.args:
            if not isinstance(arg, nodes.Const | nodes.Name):
                self.issue(
                    "RD122",
                    f"the arguments of |{node.name} must be literals or variable names",
                    node,
                    node.name,
                    "",
                )
                return False
        return True

    def const(self, node: nodes.Const) -> bool:
        value = node.value
        if isinstance(value, str) and len(value) > MAX_LITERAL:
            self.issue(
                "RD123",
                f"a quoted text of {len(value):,} characters; the limit is {MAX_LITERAL}",
                node,
                value[:10],
                "write long texts outside {{ }} and {% %}",
            )
            return False
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not -MAX_NUMBER < value < MAX_NUMBER:
                self.issue(
                    "RD123", "a number of more than 15 digits", node, "", "use a smaller number"
                )
                return False
        elif not isinstance(value, str | bool | type(None)):
            self.issue("RD123", "this kind of literal is not allowed", node, "", _HINT)
            return False
        return True

    def sequence(self, node: nodes.List | nodes.Tuple) -> bool:
        if len(node.items) > MAX_LIST_ITEMS:
            self.issue(
                "RD123",
                f"a list of {len(node.items)} items; the limit is {MAX_LIST_ITEMS}",
                node,
                "[",
                "",
            )
            return False
        if not all(isinstance(item, nodes.Const) for item in node.items):
            self.issue(
                "RD123", "a list holds quoted texts and numbers only", node, "[", "in ['a', 'b']"
            )
            return False
        return True


@lru_cache(maxsize=2048)
def template_rules(source: str) -> nodes.Template | tuple[TemplateIssue, ...]:
    """The parsed text if it keeps to the allowed language, else why not (never raises)."""
    if len(source) > MAX_SOURCE:
        return (
            TemplateIssue(
                "RD124",
                f"a template of {len(source):,} characters; the limit is {MAX_SOURCE:,}",
                1,
                hint="split it into several texts or nodes",
            ),
        )
    try:
        tree = _PARSER.parse(source)
    except TemplateSyntaxError as exc:
        line = exc.lineno or 1
        col, tag = _locate(source, line, "")
        return (TemplateIssue("RD040", exc.message or "syntax error", line, col, "", tag),)
    except RecursionError:
        return (
            TemplateIssue(
                "RD124",
                "the template is nested too deeply to read",
                1,
                hint="simplify the brackets and conditions",
            ),
        )
    except (ValueError, OverflowError, MemoryError):  # e.g. a number literal of 5,000 digits
        return (TemplateIssue("RD123", "a literal too big to read", 1, hint="shorten it"),)
    walk = _Walk(source)
    walk.run(tree)
    return tuple(walk.issues) if walk.issues else tree
