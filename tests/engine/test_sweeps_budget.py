"""The budget rule on its own: exact counts whatever order workers ask, finish and fail in (no Optuna, no training)."""

from __future__ import annotations

import random

from fmnist_gui.sweeps.budget import TrialState, needed, tally


def states(*pairs: tuple[int, str]) -> list[TrialState]:
    return [TrialState(number, state) for number, state in pairs]


def test_a_worker_waits_while_running_trials_may_fill_the_budget():
    trials = states((0, "COMPLETE"), (1, "PRUNED"), (2, "RUNNING"), (3, "FAIL"))
    assert not tally(trials, 3).may_ask and not tally(trials, 3).met
    assert tally(trials, 4).may_ask
    assert tally([*trials, TrialState(4, "COMPLETE")], 3).met


def test_of_two_trials_asked_for_the_last_place_only_the_lower_number_goes_on():
    trials = states((0, "COMPLETE"), (1, "COMPLETE"), (2, "RUNNING"), (3, "RUNNING"))
    assert needed(trials, 2, budget=3)
    assert not needed(trials, 3, budget=3)


def test_a_failed_trial_leaves_room_and_one_not_needed_is_not_counted():
    trials = [*states((0, "COMPLETE"), (1, "FAIL")), TrialState(2, "FAIL", not_needed=True)]
    assert needed([*trials, TrialState(3, "RUNNING")], 3, budget=2)
    assert tally(trials, 2).failed == 1  # the trial not needed is no failure


def test_any_interleaving_of_workers_ends_with_exactly_the_budget():
    """Workers step one action at a time in a random order, as processes do; trials finish at random,
    some fail. However they interleave, the sweep ends with exactly N counted trials."""
    for seed in range(300):
        rng = random.Random(seed)
        budget, workers = rng.randint(1, 6), rng.randint(1, 5)
        study: list[list] = []  # [number, state, not_needed]: the storage, numbering trials atomically
        phase = ["look"] * workers  # each worker: look (tally), ask, check (its asked trial), train, done
        mine: list[int | None] = [None] * workers
        for _ in range(10_000):
            active = [w for w in range(workers) if phase[w] != "done"]
            if not active:
                break
            w = rng.choice(active)
            seen = [TrialState(n, s, x) for n, s, x in study]
            if phase[w] == "look":
                now = tally(seen, budget)
                if now.met:
                    phase[w] = "done"
                elif now.may_ask:
                    phase[w] = "ask"  # others may ask in between: the race rule 2 settles
            elif phase[w] == "ask":
                study.append([len(study), "RUNNING", False])
                mine[w], phase[w] = len(study) - 1, "check"
            elif phase[w] == "check":
                number = mine[w]
                assert number is not None
                if needed(seen, number, budget):
                    phase[w] = "train"
                else:
                    study[number][1:] = ["FAIL", True]
                    phase[w] = "look"
            else:
                number = mine[w]
                assert number is not None
                study[number][1] = rng.choice(["COMPLETE", "PRUNED", "FAIL"])
                phase[w] = "look"
            assert tally([TrialState(n, s, x) for n, s, x in study], budget).counted <= budget
        final = tally([TrialState(n, s, x) for n, s, x in study], budget)
        assert final.counted == budget and final.running == 0, (seed, study)
