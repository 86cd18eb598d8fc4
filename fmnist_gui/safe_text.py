"""Text from files and paths made safe to print or show: no control characters or escape sequences."""

from __future__ import annotations

import re
import unicodedata
from typing import TextIO

# ESC-introduced sequences: CSI (colours, cursor moves), OSC (titles, links), then the short ones
# (ESC c resets a terminal, ESC ( B picks a character set).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]?")


def printable(text: object) -> str:
    """`text` as one line without terminal escapes or invisible control characters.

    A file name, class name or message that came from a file could otherwise move the cursor,
    recolour or retitle a terminal, reverse text with bidi controls, or break a one-line message.
    Line breaks and tabs become spaces; undecodable path bytes become U+FFFD.
    """
    text = str(text)
    if text.isascii() and text.isprintable():  # the common case, kept as it is: no escape or control character
        return text
    kept: list[str] = []
    for char in _ESCAPES.sub("", text):
        category = unicodedata.category(char)
        if char in "\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029":
            kept.append(" ")
        elif category == "Cs":  # a surrogate, as os.fsdecode makes of bytes that are not UTF-8
            kept.append("\ufffd")
        elif category[0] != "C":
            kept.append(char)
    return "".join(kept)


def say(text: str, stream: TextIO, end: str = "\n") -> bool:
    """Write and flush `text`; False, not an exception, when the stream is closed.

    A reader that left early (`| head -1`) or a terminal that hung up must not end a run
    that can still save its result.
    """
    try:
        stream.write(text + end)
        stream.flush()
    except (OSError, ValueError):  # BrokenPipeError, EIO after a hang-up, or a closed file object
        return False
    return True
