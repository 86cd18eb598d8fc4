"""Checks of plain values read from files: each returns the value or raises ValueError with one reason."""

from __future__ import annotations

import math
from typing import Any

from fmnist_gui.safe_text import printable


def shown(value: Any) -> str:
    """A short, printable rendering of an untrusted value for a message."""
    text = printable(repr(value))
    return text if len(text) <= 40 else text[:37] + "..."


def kind(value: Any) -> str:
    """What sort of value this is, in words: "None", "text", "a number", "a dict" …"""
    if value is None:
        return "None"
    names = {bool: "true/false", str: "text", bytes: "bytes", int: "a number", float: "a number", dict: "a dict"}
    return next((name for type_, name in names.items() if isinstance(value, type_)), f"a {type(value).__name__}")


def whole(value: Any, what: str, minimum: int = 0, maximum: int = 2**63 - 1) -> int:
    """`value` if it is an int (not a bool) from `minimum` to `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValueError(f"{what} must be a whole number from {minimum}, not {shown(value)}")
    return value


def finite(value: Any, what: str, low: float = -math.inf, high: float = math.inf) -> float:
    """`value` as a float if it is a finite int or float from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {shown(value)}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low:g} to {high:g}, not {shown(value)}")
    return float(value)


def sequence(value: Any, what: str, length: int | None = None) -> list[Any]:
    """`value` as a list if it is a list or tuple (of exactly `length` items when given)."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, not {kind(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{what} must have {length} entries, not {len(value)}")
    return list(value)


def mapping(value: Any, what: str) -> dict[Any, Any]:
    """`value` if it is a dict."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a dict, not {kind(value)}")
    return value
