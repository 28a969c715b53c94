"""Strict JSON in and out: what the emulator reads is validated at the door, what it writes parses
with any strict parser (RFC 8259: no NaN/Infinity, no lone UTF-16 surrogates).

`loads` refuses lone surrogates, NaN/Infinity, numbers beyond a double and nesting deeper than
MAX_DEPTH (orjson does the strict parse). `dumps` never fails on data that came from outside:
non-finite floats become null and lone surrogates become U+FFFD, so one odd value can never make
the journal, its exports or a snapshot unreadable.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

MAX_DEPTH = 64  # documented limit (contracts/README.md): deeper JSON answers 400


class StrictJsonError(ValueError):
    """The bytes are not strictly valid JSON (the message says where and why)."""


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse strict JSON; StrictJsonError for invalid UTF-8, lone surrogates, NaN, too deep."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StrictJsonError(str(exc)) from exc
    if isinstance(value, (dict, list)) and _too_deep(value, max_depth):
        raise StrictJsonError(f"nested deeper than {max_depth} levels")
    return value


def _too_deep(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)) and child:
                stack.append((child, depth + 1))
            elif isinstance(child, (dict, list)) and depth + 1 > limit:
                return True
    return False


_OPTS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON that every strict parser accepts (unknown types written as str)."""
    try:
        return orjson.dumps(obj, default=str, option=_OPTS)
    except TypeError:  # a lone surrogate, an int beyond 64 bits, a cycle
        clean = sanitize(obj)
        try:
            return orjson.dumps(clean, default=str, option=_OPTS)
        except TypeError:  # big integers: the standard library writes them exactly
            text = json.dumps(
                clean, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")
            )
            return text.encode("utf-8")


def dumps_text(obj: Any) -> str:
    """`dumps` as text."""
    return dumps(obj).decode("utf-8")


def clean_str(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def sanitize(obj: Any, _depth: int = 0) -> Any:
    """A copy of `obj` that encodes strictly: strings cleaned, NaN/Infinity as null."""
    if _depth > 2 * MAX_DEPTH:
        return None  # deeper than anything the door lets in: cut, never recurse without end
    if isinstance(obj, str):
        return clean_str(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {clean_str(str(k)): sanitize(v, _depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [sanitize(v, _depth + 1) for v in obj]
    if obj is None or isinstance(obj, (bool, int)):
        return obj
    return clean_str(str(obj))
