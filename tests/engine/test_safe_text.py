"""Text from files is shown as one printable line: no escapes, controls or bidi tricks reach a terminal or window."""

from __future__ import annotations

import io

import pytest

from fmnist_gui.errors import UserFacingError
from fmnist_gui.safe_text import printable, say


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Ankle boot", "Ankle boot"),
        ("T-shirt/top — Größe 42 👕", "T-shirt/top — Größe 42 👕"),
        ("\x1b[31mred\x1b[0m", "red"),  # colour (CSI)
        ("\x1b]0;new title\x07name", "name"),  # window title (OSC, BEL-ended)
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # hyperlink (OSC, ST-ended)
        ("a\x1bcb", "ab"),  # ESC c resets the terminal
        ("line\nbreak\r\ttab", "line break  tab"),
        ("null\x00bell\x07del\x7f", "nullbelldel"),
        ("\x9b31mC1", "31mC1"),  # an 8-bit CSI is dropped, its text is harmless
        ("abc\u202etxt.exe", "abctxt.exe"),  # right-to-left override
        ("zero\u200bwidth", "zerowidth"),
        ("bad\udcffbyte", "bad\ufffdbyte"),  # os.fsdecode's surrogate for a byte that is not UTF-8
        ("para\u2029graph", "para graph"),
    ],
)
def test_printable(text, shown):
    assert printable(text) == shown


def test_user_facing_errors_are_always_one_printable_line():
    error = UserFacingError("evil\x1b[2J\nname.pt is not a checkpoint.")
    assert str(error) == "evil name.pt is not a checkpoint."


def test_say_reports_a_closed_stream_instead_of_raising():
    class Gone(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    assert say("hello", Gone()) is False
    closed = io.StringIO()
    closed.close()
    assert say("hello", closed) is False
    stream = io.StringIO()
    assert say("hello", stream) is True and stream.getvalue() == "hello\n"


def test_short_escapes_are_removed_whole():
    assert printable("a\x1b(Bb\x1b7c") == "abc"
