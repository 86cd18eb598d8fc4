"""Sweeps through the command line, in this process: defining, working, pruning, failing, showing and exporting."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import optuna
import pytest
from tests.engine.sweep_helpers import LR_RANGE, TINY_SWEEP, assert_exact_budget, run_json, snapshot
from tests.engine.test_cli import ERROR_PREFIX, one_error_line, run
from tests.engine.test_cli_conventions import HEAVY, LIGHT_COMMANDS, REPO

from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.cli.sweep.options import PRUNERS, SAMPLERS
from fmnist_gui.names import JSON_SCHEMA
from fmnist_gui.runs import list_runs
from fmnist_gui.sweeps import PRUNERS as ENGINE_PRUNERS
from fmnist_gui.sweeps import SAMPLERS as ENGINE_SAMPLERS
from fmnist_gui.sweeps import SweepStore
from fmnist_gui.sweeps.storage import opened_study


@pytest.fixture(scope="module")
def finished(synthetic_dir, tmp_path_factory):
    """A sweep of 3 trials of 2 epochs, created and worked through the command line."""
    runs = tmp_path_factory.mktemp("sweep-runs")
    code = run("sweep", "run", "done", *TINY_SWEEP, *LR_RANGE, "--param", "seed=0,1", "--epochs", "2", "--trials", "3",
               "--pruner", "none", "--runs-dir", runs, "--data-dir", synthetic_dir)
    assert code == 0
    return runs


def test_a_sweep_runs_its_trials_as_run_folders(finished):
    sweep = snapshot("done", finished)
    assert_exact_budget(sweep)
    assert all(trial.epochs_done == 2 and set(trial.params) == {"lr", "seed"} for trial in sweep.trials)
    folders = {run.folder for run in list_runs(finished)}  # the journal's folder is no run
    assert folders == {trial.run for trial in sweep.trials}
    assert sweep.best is not None and sweep.best.value == max(t.value for t in sweep.trials if t.value is not None)


def test_show_json_has_exactly_the_documented_fields(finished, capsys):
    capsys.readouterr()
    assert run("sweep", "show", "done", "--json", "--runs-dir", finished) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"schema", "trials", "best"} and shown["schema"] == JSON_SCHEMA
    sweep = snapshot("done", finished)
    assert [set(trial) for trial in shown["trials"]] == [{"number", "state", "params", "value", "run"}] * 3
    assert [(t["number"], t["state"], t["params"], t["value"], t["run"]) for t in shown["trials"]] == [
        (t.number, t.state, t.params, t.value, str(t.run)) for t in sweep.trials]
    assert sweep.best is not None
    assert shown["best"] == {"number": sweep.best.number, "params": sweep.best.params, "value": sweep.best.value}


def test_show_lists_every_trial_and_the_best(finished, capsys):
    capsys.readouterr()
    assert run("sweep", "show", "done", "--runs-dir", finished) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TRIAL", "STATE", "VALUE", "EPOCHS", "TIME", "PARAMS", "RUN", "NOTE"]
    assert [line.split()[:2] for line in lines[1:4]] == [[str(n), "COMPLETE"] for n in range(3)]
    assert lines[4] == "Sweep done: 3 of 3 trials done (3 complete, 0 pruned)."
    assert lines[5].startswith("Best: trial ")


def test_export_csv_round_trips(finished, tmp_path, capsys):
    out = tmp_path / "trials.csv"
    assert run("sweep", "export", "done", "--csv", out, "--runs-dir", finished) == 0
    assert capsys.readouterr().out == "Wrote trials.csv: 3 trials of sweep done.\n"
    with open(out, newline="") as stream:
        rows = list(csv.DictReader(stream))
    sweep = snapshot("done", finished)
    assert [(int(r["number"]), r["state"], float(r["value"]), int(r["epochs"]), r["run"]) for r in rows] == [
        (t.number, t.state, t.value, t.epochs_done, str(t.run)) for t in sweep.trials]
    assert [{"lr": float(r["lr"]), "seed": int(r["seed"])} for r in rows] == [t.params for t in sweep.trials]


def test_a_pruned_trial_is_pruned_in_the_study_and_in_its_run_folder(synthetic_dir, tmp_path, capsys):
    """Five finished trials at 100% make the median pruner stop any trial below that after its first epoch."""
    runs = tmp_path / "runs"
    assert run("sweep", "create", "prune", *TINY_SWEEP, "--optimizer", "sgd", "--param", "lr=1e-4:2e-4",
               "--epochs", "3", "--trials", "6", "--sampler", "random", "--runs-dir", runs, "--data-dir", synthetic_dir) == 0
    lr = optuna.distributions.FloatDistribution(1e-4, 2e-4)
    with opened_study(SweepStore.locate("prune", None, runs)) as study:
        study.add_trials([optuna.trial.create_trial(params={"lr": 1e-4}, distributions={"lr": lr}, value=100.0,
                                                    intermediate_values={1: 100.0, 2: 100.0, 3: 100.0}) for _ in range(5)])
    assert run("sweep", "work", "prune", "--runs-dir", runs) == 0
    assert "trial 5  PRUNED" in capsys.readouterr().out
    pruned = snapshot("prune", runs).trials[5]
    assert (pruned.state, pruned.epochs_done) == ("PRUNED", 1)
    assert pruned.message.startswith("Pruned after epoch 1: test accuracy ")
    assert pruned.run is not None
    meta = run_json(pruned.run)
    assert (meta["status"], meta["message"], meta["epochs_done"]) == ("pruned", pruned.message, 1)
    assert run("runs", "--runs-dir", runs) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("pruned")


def test_a_failed_trial_is_failed_with_its_reason_and_does_not_count(synthetic_dir, tmp_path, capsys):
    """The grid (shuffled with seed 0, the same in every worker) gives trial 0 the rate that makes SGD diverge;
    trial 1 then trains the sweep's one trial."""
    runs = tmp_path / "runs"
    assert run("sweep", "run", "fails", "--preset", "quickstart", "--batch-size", "50", "--momentum", "0.9",
               "--param", "lr=0.001,10", "--sampler", "grid", "--trials", "1", "--epochs", "1",
               "--runs-dir", runs, "--data-dir", synthetic_dir) == 0
    out = capsys.readouterr().out
    assert "trial 0  FAIL" in out and "Training diverged" in out
    failed, complete = snapshot("fails", runs).trials
    assert (failed.state, failed.params, complete.state, complete.params) == ("FAIL", {"lr": 10}, "COMPLETE", {"lr": 0.001})
    assert failed.message.startswith("Training diverged: the loss became nan")
    assert failed.run is not None and run_json(failed.run)["status"] == "diverged"
    assert run("sweep", "show", "fails", "--runs-dir", runs) == 0
    shown = capsys.readouterr().out
    assert "Sweep fails: 1 of 1 trials done (1 complete, 0 pruned); 1 failed (not counted)." in shown
    assert "Training diverged" in shown.splitlines()[1]


@pytest.mark.parametrize("param, message", [
    ("lr=0.1:1e-4", "lr=0.1:1e-4: the low end must be below the high end."),
    ("lr=0:1:log", "lr=0:1:log: a log scale needs a low end above 0."),
    ("colour=red", "'colour' is not a hyperparameter; the ones that can vary are model, optimizer, lr"),
    ("optimizer=sgd,nadam", "optimizer=sgd,nadam: Unknown optimizer 'nadam'"),
    ("momentum=0.5:1.5", "momentum=0.5:1.5: Momentum must be at least 0 and below 1, not 1.5."),
    ("batch_size=64,abc", "batch_size takes whole numbers: 'abc' is not one."),
    ("batch_size=0,64", "batch_size=0,64: The batch size must be a whole number from 1 to 65536, not 0."),
    ("epochs=1:3", "epochs cannot vary in a sweep"),
    ("labels=fixes@0123456789ab", "labels cannot vary in a sweep: trials train on the labels of the data files"),
    ("lr=0.1", "lr=0.1 is one value: set it with --lr"),
    ("optimizer=sgd:adam", "optimizer is a choice, not a number"),
    ("lr", "--param 'lr' is not NAME=SPEC"),
])
def test_a_bad_param_is_one_usage_error_line(param, message, tmp_path, capsys):
    assert run("sweep", "create", "bad", "--param", param, "--runs-dir", tmp_path) == EXIT_USAGE
    assert one_error_line(capsys).startswith(f"{ERROR_PREFIX} {message}")
    assert not (tmp_path / "sweeps").exists()


@pytest.mark.parametrize("options, message", [
    (["--param", "lr=1e-3:0.1", "--sampler", "grid"], "The grid sampler tries listed values only: give lr as a list"),
    (["--param", "seed=0,1", "--sampler", "grid", "--trials", "3"], "The grid has 2 points; --trials 3 would repeat some."),
    (["--param", "lr=1e-3:0.1", "--lr", "0.01"], "lr is both set (--lr) and varied (--param lr=…)"),
    (["--param", "lr=1e-3:0.1", "--param", "lr=0.1,0.2"], "lr is given twice"),
    (["--param", "lr=1e-3:0.1", "--storage", "sqlite:///s.db"], "SQLite is not a sweep storage"),
    (["--param", "lr=1e-3:0.1", "--storage", "mysql://h/db"], "--storage takes a PostgreSQL URL"),
])
def test_a_bad_definition_is_one_usage_error_line(options, message, tmp_path, capsys):
    assert run("sweep", "create", "bad", *options, "--runs-dir", tmp_path) == EXIT_USAGE
    assert message in one_error_line(capsys)


def test_a_bad_name_a_taken_name_and_a_missing_sweep(finished, tmp_path, capsys):
    assert run("sweep", "create", "../up", "--param", "seed=0,1", "--runs-dir", tmp_path) == EXIT_USAGE
    assert "'../up' cannot name a sweep" in one_error_line(capsys)
    assert run("sweep", "create", "done", "--param", "seed=0,1", "--runs-dir", finished) == EXIT_FAILURE
    assert one_error_line(capsys).startswith(f"{ERROR_PREFIX} A sweep named 'done' exists already in ")
    for command in (["show", "nothing"], ["work", "nothing"], ["export", "nothing", "--csv", tmp_path / "x.csv"]):
        assert run("sweep", *command, "--runs-dir", tmp_path) == EXIT_FAILURE
        assert one_error_line(capsys).startswith(f"{ERROR_PREFIX} There is no sweep named 'nothing'")
    assert not (tmp_path / "sweeps").exists()  # looking never makes a journal


def test_an_unreachable_database_is_one_line(tmp_path, capsys):
    url = f"postgresql://nobody@/sweeps?host={tmp_path}"  # no server listens in an empty folder
    assert run("sweep", "show", "any", "--storage", url) == EXIT_FAILURE
    line = one_error_line(capsys)
    assert line.startswith(f"{ERROR_PREFIX} The sweep database {url} cannot be used: ") and "Traceback" not in line


def test_list_names_the_sweeps_with_their_progress(finished, capsys):
    capsys.readouterr()
    assert run("sweep", "list", "--runs-dir", finished) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:2] == ["done", "3/3"]


def test_the_parser_offers_the_engines_samplers_and_pruners():
    assert (SAMPLERS, PRUNERS) == (ENGINE_SAMPLERS, ENGINE_PRUNERS)


def test_sweep_help_imports_neither_torch_nor_optuna():
    argvs = [["sweep", "--help"], *(["sweep", command, "--help"] for command in ("create", "work", "run", "show", "list", "export"))]
    heavy = [*HEAVY, "optuna", "sqlalchemy"]
    done = subprocess.run([sys.executable, "-c", LIGHT_COMMANDS, json.dumps(argvs), json.dumps(heavy)],
                          capture_output=True, text=True, timeout=60, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {" ".join(argv): [0, []] for argv in argvs}
