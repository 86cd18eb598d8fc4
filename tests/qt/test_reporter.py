"""Errors reach the user one dialog at a time, however many arrive while one is open."""

from __future__ import annotations

from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.common.reporter import Reporter


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)


def test_errors_during_an_open_dialog_are_summed_up_in_one_more_dialog_not_stacked(qtbot, monkeypatch):
    """A modal dialog runs its own event loop: 1,000 hand-overs of missing files arrive inside it."""
    log = Log()
    reporter = Reporter(log, None)  # type: ignore[arg-type]  # no window needed: the dialogs are stubbed
    shown: list[tuple[str, str]] = []
    depth = [0]

    def modal(parent, title, message, details=""):
        depth[0] += 1
        assert depth[0] == 1, "a dialog opened inside another"
        shown.append((title, message))
        if len(shown) == 1:  # the events the first dialog's event loop delivers
            for n in range(1000):
                reporter.error("Cannot open", f"missing-{n}.pt does not exist.")
        depth[0] -= 1

    monkeypatch.setattr(dialogs, "show_error", modal)
    reporter.error("Cannot open", "missing-first.pt does not exist.")
    assert len(shown) == 2
    assert shown[1][0] == "1000 more problems" and "missing-999.pt" in shown[1][1]
    assert len(log.lines) == 1001  # every one is in the log
    reporter.error("Cannot open", "later.pt does not exist.")  # the next error gets its own dialog again
    assert shown[-1] == ("Cannot open", "later.pt does not exist.")
