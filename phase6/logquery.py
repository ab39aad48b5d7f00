"""The part of Cloud Logging's query language that monitoring/alerts.yaml uses: parsed, its fields listed, and
evaluated against a log entry (a dict shaped like the LogEntry Cloud Logging stores).

Supported: comparisons `FIELD OP VALUE` with OP one of = != : =~ !~ > >= < <=, a VALUE that is a quoted string, a
bare word or number, or a parenthesised `(V OR V ...)`; `NOT`, `AND` (also implied by juxtaposition), `OR` and
parentheses. As in Cloud Logging, NOT binds tightest, then OR, then AND; `=` and `:` compare strings without regard
to case, `=~` is a partial regular-expression match, and `severity` compares by rank. Anything else is refused with
a QueryError, so a filter that parses here uses only what this evaluator implements.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Union

SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>>=|<=|!=|=~|!~|=|:|>|<)|(?P<paren>[()])|(?P<word>[^\s()"=:<>!~]+))')


class QueryError(ValueError):
    """A filter outside the supported part of the query language."""


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    values: tuple[str, ...]  # more than one for `FIELD OP (A OR B)`: true when any value compares true


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class Bool:
    op: str  # "AND" or "OR"
    operands: tuple["Node", ...]


Node = Union[Comparison, Not, Bool]


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        found = TOKEN.match(text, position)
        if not found or found.end() == position:
            raise QueryError(f"cannot read the filter at {text[position:position + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append(Token(kind, found.group(kind)))
        position = found.end()
    return tokens


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise QueryError(f"the filter ends too early: {self.text!r}")
        self.index += 1
        return token

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text == word

    def parse(self) -> Node:
        node = self.conjunction()
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek().text!r} in {self.text!r}")
        return node

    def conjunction(self) -> Node:
        operands = [self.disjunction()]
        while self.peek() is not None and not (self.peek().kind == "paren" and self.peek().text == ")"):
            if self.is_word("AND"):
                self.take()
            operands.append(self.disjunction())
        return operands[0] if len(operands) == 1 else Bool("AND", tuple(operands))

    def disjunction(self) -> Node:
        operands = [self.negation()]
        while self.is_word("OR"):
            self.take()
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else Bool("OR", tuple(operands))

    def negation(self) -> Node:
        if self.is_word("NOT"):
            self.take()
            return Not(self.primary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            node = self.conjunction()
            self.expect(")")
            return node
        if token.kind != "word" or token.text in ("AND", "OR", "NOT"):
            raise QueryError(f"expected a field name, found {token.text!r} in {self.text!r}")
        operator = self.take()
        if operator.kind != "op":
            raise QueryError(f"expected an operator after {token.text!r}, found {operator.text!r} (bare search terms are not supported)")
        return Comparison(token.text, operator.text, self.values())

    def values(self) -> tuple[str, ...]:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            values = [self.value(self.take())]
            while self.is_word("OR"):
                self.take()
                values.append(self.value(self.take()))
            self.expect(")")
            return tuple(values)
        return (self.value(token),)

    def value(self, token: Token) -> str:
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "word" and token.text not in ("AND", "OR", "NOT"):
            return token.text
        raise QueryError(f"expected a value, found {token.text!r} in {self.text!r}")

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise QueryError(f"expected {text!r}, found {token.text!r} in {self.text!r}")


def parse(text: str) -> Node:
    return Parser(text).parse()


def comparisons(node: Node) -> Iterator[Comparison]:
    if isinstance(node, Comparison):
        yield node
    elif isinstance(node, Not):
        yield from comparisons(node.operand)
    else:
        for operand in node.operands:
            yield from comparisons(operand)


def fields(text: str) -> set[str]:
    """Every field path the filter compares."""
    return {comparison.field for comparison in comparisons(parse(text))}


def matches(text: str, entry: Mapping[str, Any]) -> bool:
    return evaluate(parse(text), entry)


def evaluate(node: Node, entry: Mapping[str, Any]) -> bool:
    if isinstance(node, Comparison):
        return compare(node, entry)
    if isinstance(node, Not):
        return not evaluate(node.operand, entry)
    results = (evaluate(operand, entry) for operand in node.operands)
    return all(results) if node.op == "AND" else any(results)


def lookup(entry: Mapping[str, Any], path: str) -> list[Any]:
    """The scalar values at `path`: none when absent, the elements when it is a list."""
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    return list(value) if isinstance(value, list) else [value]


def compare(comparison: Comparison, entry: Mapping[str, Any]) -> bool:
    if comparison.op in ("!=", "!~"):
        positive = Comparison(comparison.field, "=" if comparison.op == "!=" else "=~", comparison.values)
        return not compare(positive, entry)
    found = lookup(entry, comparison.field)
    return any(holds(comparison, actual, wanted) for actual in found for wanted in comparison.values)


def holds(comparison: Comparison, actual: Any, wanted: str) -> bool:
    text = scalar_text(actual)
    if comparison.op == "=":
        return text.lower() == wanted.lower()
    if comparison.op == ":":
        return wanted.lower() in text.lower()
    if comparison.op == "=~":
        return re.search(wanted, text) is not None
    left, right = ordered(comparison.field, actual, wanted)
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[comparison.op]


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ordered(field: str, actual: Any, wanted: str) -> tuple[Any, Any]:
    if field == "severity":
        return severity_rank(str(actual)), severity_rank(wanted)
    try:
        return float(actual), float(wanted)
    except (TypeError, ValueError):
        return scalar_text(actual), wanted


def severity_rank(name: str) -> int:
    try:
        return SEVERITIES.index(name.upper())
    except ValueError:
        raise QueryError(f"unknown severity {name!r}; expected one of {', '.join(SEVERITIES)}") from None
