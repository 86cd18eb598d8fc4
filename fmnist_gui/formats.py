"""How numbers are written for people, the same in the terminal and in the window (no torch, no Qt)."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """"1:05" for 65 seconds, "2:00:00" for two hours."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_loss(value: float) -> str:
    """A loss with four decimals. Cross-entropy is never below zero: a tiny negative from rounding is 0.0000,
    never "-0.0000"; NaN and infinities are written as such."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    return f"{max(value, 0.0):.4f}"


def counted(count: int, noun: str) -> str:
    """"1 epoch", "3 epochs", "10,000 runs": the number with the noun it counts."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
