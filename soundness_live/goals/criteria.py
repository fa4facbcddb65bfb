"""A small, safe expression language for a goal's success criterion over one trial's metrics.

Never Python ``eval``: text -> tokens -> recursive-descent parser -> AST -> evaluate(metrics).

Grammar (lowest precedence first)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | STRING | "true" | "false" | "null" | "abs" "(" expr ")"
                | NAME | "(" expr ")"

Names are the trial's metric names plus ``outcome`` and ``prompt_level`` (see
:func:`trial_values`).

A criterion nests at most :data:`MAX_DEPTH` levels deep: each parenthesis, ``not``, minus and
``abs`` is a level, and so is each operator joining terms (``a and b and c`` is two). Parsing,
checking and evaluating recurse once per level, so a deeper text (a hostile goal file) is refused
with the limit named instead of exhausting the interpreter's stack.

Null (a metric that could not be computed, or is absent) follows one rule: **a comparison
with a null operand is false**, except that ``x == null`` / ``x != null`` test for null
explicitly. Arithmetic and ``abs`` with a null operand, and division by zero, give null.
A null used as a condition (``waited_for_turn and ...``) is false. ``not`` is plain negation,
so ``not (x >= 75)`` is TRUE when x is null: write ``x != null and x < 75`` when that matters.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from soundness_live.errors import ParameterError

__all__ = [
    "CriteriaError",
    "Criteria",
    "MAX_DEPTH",
    "compile_criteria",
    "trial_values",
    "SPECIAL_NAMES",
]

MAX_DEPTH = 32  # real criteria nest 3 to 6 levels; Python's stack holds about 80 parser levels

SPECIAL_NAMES = ("outcome", "prompt_level")
COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")
_TOKEN = re.compile(
    r"(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<str>'[^'\\]*'|\"[^\"\\]*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)))"
)


class CriteriaError(ParameterError):
    """A criterion expression is malformed or names an unknown metric; says where and what."""


@dataclass(frozen=True)
class Token:
    """One lexical token: kind ('num', 'str', 'name', 'op', 'end'), text and 1-based column."""

    kind: str
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises CriteriaError at the first character that fits none."""
    tokens: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise CriteriaError(f"at column {pos + 1}: unexpected character {text[pos]!r}")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# --- AST: tuples keep it small and immutable. ------------------------------------------
# ("const", value) ("name", name, column) ("not", a) ("and", a, b) ("or", a, b)
# ("cmp", op, a, b) ("is_null", a) ("not_null", a) ("arith", op, a, b) ("neg", a) ("abs", a)
Node = tuple[Any, ...]


class _Parser:
    """Recursive-descent parser over a token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0  # parentheses, not, minus and abs open around the current token

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def fail(self, expected: str) -> CriteriaError:
        got = "end of expression" if self.tok.kind == "end" else repr(self.tok.text)
        return CriteriaError(f"at column {self.tok.column}: expected {expected}, got {got}")

    def accept(self, *texts: str) -> str | None:
        if self.tok.kind in ("op", "name") and self.tok.text in texts:
            self.pos += 1
            return self.tokens[self.pos - 1].text
        return None

    def parse(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.fail("'and', 'or', a comparison or the end of the expression")
        if _depth(node) > MAX_DEPTH:
            raise _too_deep(f"{_depth(node)} levels")
        return node

    def deeper(self, level: Callable[[], Node]) -> Node:
        """``level()`` parsed one nesting level down; refused past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_deep(f"more than {MAX_DEPTH} levels at column {self.tok.column}")
        node = level()
        self.depth -= 1
        return node

    def binary(self, level: Callable[[], Node], ops: tuple[str, ...], kind: str) -> Node:
        """Left-associative run of ``level`` joined by any of ``ops``."""
        node = level()
        while op := self.accept(*ops):
            node = (kind, node, level()) if kind in ("and", "or") else (kind, op, node, level())
        return node

    def or_expr(self) -> Node:
        return self.binary(self.and_expr, ("or",), "or")

    def and_expr(self) -> Node:
        return self.binary(self.not_expr, ("and",), "and")

    def not_expr(self) -> Node:
        if self.accept("not"):
            return ("not", self.deeper(self.not_expr))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        op = self.accept(*COMPARISONS)
        if op is None:
            return left
        right = self.sum()
        node: Node = ("cmp", op, left, right)
        if op in ("==", "!=") and ("const", None) in (left, right):
            # an explicit null test: the one comparison that is true for a null operand
            operand = right if left == ("const", None) else left
            node = ("is_null" if op == "==" else "not_null", operand)
        if self.tok.text in COMPARISONS:
            raise self.fail(
                "'and' or 'or' between comparisons (chains like a < b < c are not allowed)"
            )
        return node

    def sum(self) -> Node:
        return self.binary(self.product, ("+", "-"), "arith")

    def product(self) -> Node:
        return self.binary(self.unary, ("*", "/"), "arith")

    def unary(self) -> Node:
        if self.accept("-"):
            return ("neg", self.deeper(self.unary))
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.pos += 1
            return ("const", float(tok.text))
        if tok.kind == "str":
            self.pos += 1
            return ("const", tok.text[1:-1])
        if self.accept("("):
            node = self.deeper(self.or_expr)
            if not self.accept(")"):
                raise self.fail("')'")
            return node
        if tok.kind == "name" and tok.text not in ("and", "or", "not"):
            return self.name_or_call(tok)
        raise self.fail("a number, a string, a metric name, 'abs(' or '('")

    def name_or_call(self, tok: Token) -> Node:
        self.pos += 1
        constants = {"true": True, "false": False, "null": None}
        if tok.text in constants:
            return ("const", constants[tok.text])
        if tok.text == "abs":
            if not self.accept("("):
                raise self.fail("'(' after abs")
            node = self.deeper(self.or_expr)
            if not self.accept(")"):
                raise self.fail("')' closing abs(")
            return ("abs", node)
        return ("name", tok.text, tok.column)


def _too_deep(found: str) -> CriteriaError:
    return CriteriaError(
        f"expected an expression nested at most {MAX_DEPTH} levels deep (each parenthesis, "
        f"not, minus, abs and operator joining terms is a level), got {found}; simplify it"
    )


def _depth(tree: Node) -> int:
    """Levels of ``tree``, counted without recursion (the tree may be too deep to recurse)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node[1:] if isinstance(child, tuple))
    return deepest


def _names(node: Node) -> set[str]:
    if node[0] == "name":
        return {node[1]}
    if node[0] == "const":
        return set()
    return set().union(*(_names(child) for child in node[1:] if isinstance(child, tuple)))


@dataclass(frozen=True)
class Criteria:
    """A compiled success criterion: ``evaluate(values) -> bool``; ``names`` it reads."""

    text: str
    tree: Node
    names: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """True when ``values`` (metric name -> value; see :func:`trial_values`) meet it.

        A value of the wrong kind (text where a number is compared) raises CriteriaError
        naming the criterion; the name check at compile time catches most of these earlier.
        """
        try:
            return _truth(_eval(self.tree, values))
        except CriteriaError as error:
            raise CriteriaError(f"criterion {self.text!r}: {error}") from None


def compile_criteria(
    text: str, metrics: Mapping[str, str] | Collection[str] | None = None
) -> Criteria:
    """Parse ``text`` into a :class:`Criteria`.

    ``metrics`` (optional) are the names the activity reports: a collection of names, or a
    mapping name -> kind ("number", "bool", "text", "list", "any"). With it, an unknown name is
    an error listing the known ones, and with kinds a misuse (``hits and ...``,
    ``waited_for_turn > 2``) is an error too; outcome and prompt_level are always known (text).
    """
    if not isinstance(text, str) or not text.strip():
        raise CriteriaError(f"expected a non-empty criterion expression, got {text!r}")
    tree = _Parser(text).parse()
    if metrics is not None:
        kinds = dict(metrics) if isinstance(metrics, Mapping) else dict.fromkeys(metrics, "any")
        kinds.update(dict.fromkeys(SPECIAL_NAMES, "text"))
        _infer(tree, kinds)
    return Criteria(text, tree, frozenset(_names(tree)))


_WORDS = {"number": "a number", "bool": "true/false", "text": "text", "list": "a list"}


def _expect(kind: str, wanted: tuple[str, ...], what: str) -> None:
    if kind in ("any", "null") or kind in wanted:
        return
    expected = " or ".join(_WORDS[w] for w in wanted)
    raise CriteriaError(f"{what} expects {expected}, got {_WORDS.get(kind, kind)}")


def _infer(node: Node, kinds: dict[str, str]) -> str:
    """Static kind of ``node``; raises CriteriaError for unknown names and kind mismatches."""
    op = node[0]
    if op == "const":
        value = node[1]
        if value is None:
            return "null"
        return "bool" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"
    if op == "name":
        if node[1] not in kinds:
            close = difflib.get_close_matches(node[1], list(kinds), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(kinds))
            raise CriteriaError(
                f"at column {node[2]}: unknown metric {node[1]!r}{hint}; expected one of: {known}"
            )
        return kinds[node[1]]
    if op in ("and", "or", "not"):
        for child in node[1:]:
            _expect(_infer(child, kinds), ("bool",), f"'{op}'")
        return "bool"
    if op in ("is_null", "not_null"):
        _infer(node[1], kinds)
        return "bool"
    if op == "cmp":
        left, right = _infer(node[2], kinds), _infer(node[3], kinds)
        if node[1] in _ORDER:
            _expect(left, ("number",), f"'{node[1]}'")
            _expect(right, ("number",), f"'{node[1]}'")
        elif "any" not in (left, right) and "null" not in (left, right) and left != right:
            raise CriteriaError(f"'{node[1]}' compares {_WORDS[left]} with {_WORDS[right]}")
        return "bool"
    for child in node[2:] if op == "arith" else node[1:]:
        _expect(_infer(child, kinds), ("number",), f"'{node[1]}'" if op == "arith" else op)
    return "number"


def trial_values(trial: Mapping[str, Any]) -> dict[str, Any]:
    """The names a criterion sees for a trial record: its metrics plus outcome, prompt_level."""
    values = dict(trial.get("metrics") or {})
    for name in SPECIAL_NAMES:
        values[name] = trial.get(name)
    return values


def _truth(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raise CriteriaError(f"expected true/false as a condition, got {value!r}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if op in ("==", "!="):
        same_kind = _number(a) == _number(b) and isinstance(a, bool) == isinstance(b, bool)
        equal = same_kind and a == b
        return equal if op == "==" else not equal
    if not (_number(a) and _number(b)):
        raise CriteriaError(f"'{op}' compares numbers, got {a!r} and {b!r}")
    return _ORDER[op](a, b)


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if not (_number(a) and _number(b)):
        raise CriteriaError(f"'{op}' needs numbers, got {a!r} and {b!r}")
    if op == "/":
        return None if b == 0 else a / b
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def _eval(node: Node, values: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "name":
        return values.get(node[1])
    if kind == "and":
        return _truth(_eval(node[1], values)) and _truth(_eval(node[2], values))
    if kind == "or":
        return _truth(_eval(node[1], values)) or _truth(_eval(node[2], values))
    if kind == "not":
        return not _truth(_eval(node[1], values))
    if kind == "cmp":
        return _compare(node[1], _eval(node[2], values), _eval(node[3], values))
    if kind in ("is_null", "not_null"):
        return (_eval(node[1], values) is None) == (kind == "is_null")
    if kind == "arith":
        return _arith(node[1], _eval(node[2], values), _eval(node[3], values))
    operand = _eval(node[1], values)
    if operand is None:
        return None
    if not _number(operand):
        raise CriteriaError(f"'{kind}' needs a number, got {operand!r}")
    return -operand if kind == "neg" else abs(operand)
