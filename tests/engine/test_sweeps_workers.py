"""Sweeps with real worker processes on one journal: the budget stays exact, and a worker killed or stopped
leaves a FAIL trial with its reason, never a RUNNING one, while the sweep still completes."""

from __future__ import annotations

import signal

import torch
from tests.engine.sweep_helpers import LR_RANGE, TINY_SWEEP, assert_exact_budget, run_json, snapshot, wait_for, worker_process
from tests.engine.test_cli import run

from fmnist_gui.runs import read_run


def test_three_worker_processes_train_exactly_the_budget(synthetic_dir, tmp_path):
    runs = tmp_path / "runs"
    assert run("sweep", "create", "three", *TINY_SWEEP, *LR_RANGE, "--epochs", "2", "--trials", "6",
               "--runs-dir", runs, "--data-dir", synthetic_dir) == 0
    log = tmp_path / "work.log"
    parent = worker_process("three", runs, synthetic_dir, log, "--workers", "3")
    assert parent.wait() == 0, log.read_text()
    sweep = snapshot("three", runs)
    assert_exact_budget(sweep)
    lines = log.read_text().splitlines()
    ended = [line for line in lines if line.startswith("trial ")]
    assert sorted(int(line.split()[1]) for line in ended) == [trial.number for trial in sweep.trials]
    assert lines[-2] == "Sweep three: 6 of 6 trials done (" + lines[-2].split("(", 1)[1]


def running_trial(name, runs):
    """A RUNNING trial of the sweep that has finished an epoch and has most of its epochs to go, else None."""
    return next((trial for trial in snapshot(name, runs).trials if trial.state == "RUNNING" and 1 <= trial.epochs_done <= 3),
                None)


def test_a_killed_or_stopped_worker_fails_its_trial_and_the_sweep_still_completes(synthetic_dir, tmp_path):
    runs = tmp_path / "runs"
    assert run("sweep", "create", "hard", *TINY_SWEEP, *LR_RANGE, "--epochs", "8", "--trials", "2", "--pruner", "none",
               "--runs-dir", runs, "--data-dir", synthetic_dir) == 0
    log = tmp_path / "work.log"

    killed = worker_process("hard", runs, synthetic_dir, log)
    first = wait_for(lambda: running_trial("hard", runs), "a trial's first epoch")
    killed.kill()
    killed.wait()
    lost = snapshot("hard", runs).trials[first.number]  # reading it finds the worker gone
    assert lost.state == "FAIL"
    assert lost.message == (f"process {killed.pid} on {run_json(lost.run)['host']} ended without finishing it "
                            "(killed, or its machine restarted)")
    assert read_run(lost.run).status == "interrupted"

    stopped = worker_process("hard", runs, synthetic_dir, log, "--workers", "2")
    second = wait_for(lambda: running_trial("hard", runs), "a trial in one of two worker processes")
    stopped.send_signal(signal.SIGTERM)  # to the parent, which passes it on to its workers
    assert stopped.wait() == 128 + signal.SIGTERM, log.read_text()
    after = snapshot("hard", runs)
    assert "RUNNING" not in {trial.state for trial in after.trials}  # the other worker's trial neither
    stopped_trial = after.trials[second.number]
    assert stopped_trial.state == "FAIL" and stopped_trial.message.startswith("Stopped by SIGTERM after "), stopped_trial
    assert run_json(stopped_trial.run)["status"] == "stopped"

    threads = torch.get_num_threads()
    try:  # one torch thread, as each worker process has: two fight over a busy 2-core machine
        assert run("sweep", "work", "hard", "--runs-dir", runs, "--threads", "1") == 0
    finally:
        torch.set_num_threads(threads)
    sweep = snapshot("hard", runs)
    assert_exact_budget(sweep)
    assert sorted({trial.state for trial in sweep.trials}) == ["COMPLETE", "FAIL"]
