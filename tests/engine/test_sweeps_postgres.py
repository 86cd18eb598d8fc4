"""A sweep on a real PostgreSQL server (tests/postgres_server.py): two worker processes and a reader share one
study, as workers on two machines would; the budget stays exact and every counted trial is a run folder."""

from __future__ import annotations

import contextlib
import subprocess

from tests.engine.sweep_helpers import LR_RANGE, TINY_SWEEP, assert_exact_budget, snapshot, worker_process
from tests.engine.test_cli import run


def test_two_workers_and_a_reader_share_one_study_on_postgresql(postgres_url, synthetic_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert run("sweep", "create", "pg", *TINY_SWEEP, *LR_RANGE, "--param", "seed=0,1,2", "--epochs", "2", "--trials", "4",
               "--storage", postgres_url, "--runs-dir", runs, "--data-dir", synthetic_dir) == 0
    log = tmp_path / "work.log"
    workers = [worker_process("pg", runs, synthetic_dir, log, "--storage", postgres_url) for _ in range(2)]
    seen: set[int] = set()
    while any(worker.poll() is None for worker in workers):  # the reader, while they work
        sweep = snapshot("pg", runs, postgres_url)
        assert sweep.tally.counted <= 4 and sweep.tally.counted + sweep.tally.running <= 4
        seen |= {trial.number for trial in sweep.trials if trial.state == "RUNNING"}
        live = [worker for worker in workers if worker.poll() is None]
        with contextlib.suppress(subprocess.TimeoutExpired):  # read again in half a second, or as soon as one ends
            if live:
                live[0].wait(0.5)
    assert [worker.returncode for worker in workers] == [0, 0], log.read_text()
    sweep = snapshot("pg", runs, postgres_url)
    assert_exact_budget(sweep)
    assert seen <= {trial.number for trial in sweep.trials}
    assert sorted(int(line.split()[1]) for line in log.read_text().splitlines() if line.startswith("trial ")) == [
        trial.number for trial in sweep.trials]
    capsys.readouterr()
    assert run("sweep", "list", "--storage", postgres_url) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:2] == ["pg", "4/4"]
