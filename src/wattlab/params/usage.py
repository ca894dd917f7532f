"""Which code reads which registry key: a static scan of wattlab's own source.

Every string a module builds a key from is collected per function: literal keys
(``"dev.h100.tdp"``), f-strings (``f"dev.{name}.tdp"`` reads as the pattern ``dev.*.tdp``) and
concatenations with a module constant (``_P + "energy_budget"``). A key that no pattern matches is
read by no code: ``wattlab params unused`` lists such keys, and a test keeps the list empty.
Patterns are an over-approximation (a prefix read through a catalogue name may match keys the
code never asks for at run time); the studies that actually read a key are in each report's
``results.json`` (field ``params``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_KEY = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_.*]*$")
_WILD = "\x00"


@dataclass(frozen=True)
class Reader:
    """A function (``module:qualname``) and the key pattern it builds."""

    where: str
    pattern: str

    def matches(self, key: str) -> bool:
        return _compile(self.pattern).fullmatch(key) is not None


@cache
def _compile(pattern: str) -> re.Pattern[str]:
    """``*`` matches anything; a pattern ending in '.' or '_' is a prefix (``f"scale.{kind}_"``)."""
    if pattern.endswith((".", "_")):
        pattern += "*"
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")))


def _text(node: ast.AST, consts: dict[str, str]) -> str | None:
    """The string ``node`` builds, with unknown parts as ``*``; None if it is no string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "*"
                       for v in node.values)
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, consts), _text(node.right, consts)
        if left is None and right is None:
            return None
        return (left or "*") + (right or "*")
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, module: str, consts: dict[str, str]) -> None:
        self.module, self.consts, self.scope = module, consts, ["<module>"]
        self.found: list[Reader] = []

    def _visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_scope

    def _add(self, node: ast.AST) -> None:
        s = _text(node, self.consts)
        if s and "." in s and _KEY.match(s.replace("*", "x")) and not s.startswith(("*", ".")):
            where = f"{self.module}:{'.'.join(self.scope[1:]) or '<module>'}"
            self.found.append(Reader(where, s))

    def visit_Constant(self, node: ast.Constant) -> None:
        self._add(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._add(node)
        self.generic_visit(node)  # keys inside the f-string's expressions

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._add(node)
        self.generic_visit(node)


def _module_constants(tree: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            value = _text(stmt.value, out)
            if value is not None:
                out[stmt.targets[0].id] = value
    return out


def scan(root: Path | None = None) -> list[Reader]:
    """Every key pattern in the package's source under ``root`` (default: wattlab itself)."""
    root = root or Path(__file__).resolve().parents[1]
    readers: list[Reader] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        module = ".".join(rel.parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scanner = _Scanner(module, _module_constants(tree))
        scanner.visit(tree)
        readers += scanner.found
    return readers


@cache
def _readers() -> tuple[Reader, ...]:
    return tuple(scan())


def readers_of(key: str, readers: Iterable[Reader] | None = None) -> list[str]:
    """The functions whose key patterns match ``key``."""
    return sorted({r.where for r in (readers or _readers()) if r.matches(key)})


def unused(keys: Iterable[str], readers: Iterable[Reader] | None = None) -> Iterator[str]:
    """The keys that no function's pattern matches."""
    rs = list(readers or _readers())
    return (k for k in keys if not any(r.matches(k) for r in rs))


__all__ = ["Reader", "readers_of", "scan", "unused"]
