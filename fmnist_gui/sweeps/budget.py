"""The budget rule: a sweep of N trials ends with exactly N COMPLETE or PRUNED trials, whoever runs them.

Two checks make it exact with any number of workers on any number of machines, relying only on the
storage handing out trial numbers atomically (the journal appends under a lock, the database locks
the study's row while it numbers a trial):

1. Before asking: a worker asks only while COMPLETE + PRUNED + RUNNING < N. Otherwise it waits, as a
   running trial may still fail and leave room.
2. After asking: its trial goes on only if fewer than N trials with a smaller number are not FAIL.
   Trials with a smaller number are all in the storage by then, and a trial that is not FAIL can
   only end COMPLETE or PRUNED (or FAIL, which frees room). So the trial with the highest number
   that goes on has fewer than N counted trials below it: never N+1. A trial that lost such a race
   is told FAIL as `not_needed` and left out of every count and table.

Failed trials never count, so a sweep goes on until N trials have really been trained or pruned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COUNTED = ("COMPLETE", "PRUNED")
NOT_NEEDED = "not_needed"  # the user attribute of a trial asked in a race and not needed
NOT_NEEDED_MESSAGE = "the budget was met by other workers"


@dataclass(frozen=True)
class TrialState:
    """What the rule needs to know of a trial: its number and Optuna's name for its state."""

    number: int
    state: str  # "RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"
    not_needed: bool = False


@dataclass(frozen=True)
class Tally:
    counted: int  # COMPLETE + PRUNED
    running: int
    failed: int  # FAIL, without the trials that were not needed
    budget: int

    @property
    def met(self) -> bool:
        return self.counted >= self.budget

    @property
    def may_ask(self) -> bool:
        """Rule 1: ask only when the trials that may still count leave room."""
        return self.counted + self.running < self.budget


def tally(trials: Iterable[TrialState], budget: int) -> Tally:
    counted = running = failed = 0
    for trial in trials:
        if trial.state in COUNTED:
            counted += 1
        elif trial.state == "RUNNING":
            running += 1
        elif trial.state == "FAIL" and not trial.not_needed:
            failed += 1
    return Tally(counted, running, failed, budget)


def needed(trials: Iterable[TrialState], number: int, budget: int) -> bool:
    """Rule 2: whether trial `number`, just asked, goes on: fewer than `budget` trials before it are not FAIL."""
    return sum(1 for trial in trials if trial.number < number and trial.state != "FAIL") < budget
