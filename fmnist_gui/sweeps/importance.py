"""Which hyperparameters mattered: Optuna's parameter importances, computed from a snapshot's COMPLETE trials.

The trials are copied into a study in memory (their distributions rebuilt from the sweep's space),
so that computing never reads the storage again and never writes it. fANOVA when scikit-learn is
installed (it sees how parameters act together), else PED-ANOVA, Optuna's default, which needs nothing.

Both are pure Python at heart and slow past a few thousand trials (fANOVA took minutes on a 10,000-trial
sweep, holding the Python lock all along): they see a seeded sample of at most MAX_TRIALS complete trials,
and the window computes them in a process of its own (`importances_apart`), so its event loop never waits
for them and quitting ends them at once.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import threading
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fmnist_gui.sweeps.reading import SweepSnapshot, TrialRecord
from fmnist_gui.sweeps.space import ParamSpec

if TYPE_CHECKING:
    import optuna

MIN_TRIALS = 4  # fewer complete trials say nothing about which parameter mattered
MAX_TRIALS = 1000  # a sample this large says which parameter mattered as well as all of them, in seconds
SAMPLE_SEED = 0


@dataclass(frozen=True)
class Importances:
    """Each varied parameter's share of the value's variation (summing to 1), most important first."""

    shares: dict[str, float]
    evaluator: str  # "fANOVA" or "PED-ANOVA", as the workspace names it
    trials: int  # the COMPLETE trials they come from
    message: str = ""  # why there are none, when there are none
    sampled_from: int = 0  # the complete trials there were, when `trials` is a sample of them; else 0


def param_importances(snapshot: SweepSnapshot) -> Importances:
    import optuna

    evaluator, name = _evaluator()
    complete = [trial for trial in snapshot.trials if trial.state == "COMPLETE" and trial.value is not None]
    space = [spec for spec in snapshot.definition.space if len({repr(t.params.get(spec.name)) for t in complete}) > 1]
    if len(complete) < MIN_TRIALS or not space:
        why = (f"{len(complete)} complete trial{'s' if len(complete) != 1 else ''} so far; importances need "
               f"{MIN_TRIALS}" if len(complete) < MIN_TRIALS else "no hyperparameter took more than one value yet")
        return Importances({}, name, len(complete), f"Not yet: {why}.")
    sampled_from = len(complete) if len(complete) > MAX_TRIALS else 0
    if sampled_from:
        chosen = np.random.default_rng(SAMPLE_SEED).choice(len(complete), MAX_TRIALS, replace=False)
        complete = [complete[i] for i in sorted(chosen)]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")  # in memory
    distributions = {spec.name: _distribution(spec) for spec in space}
    study.add_trials([_copy(trial, distributions) for trial in complete])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PED-ANOVA's "experimental" warning, said once per call
        shares = optuna.importance.get_param_importances(study, evaluator=evaluator, params=list(distributions))
    return Importances({key: float(value) for key, value in shares.items()}, name, len(complete), sampled_from=sampled_from)


class ImportancesStopped(Exception):
    """`importances_apart` was asked to stop; its process is ended."""


def importances_apart(snapshot: SweepSnapshot, stop: threading.Event) -> Importances:
    """`param_importances` in a process of its own, waited for without holding the Python lock; `stop` set
    (a newer request, the window closing) ends that process and raises ImportancesStopped."""
    context = multiprocessing.get_context("spawn")  # never fork a process that runs Qt's threads
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_answer, args=(snapshot, sending), name="sweep-importances", daemon=True)
    process.start()
    sending.close()
    try:
        while not receiving.poll(0.1):
            if stop.is_set():
                raise ImportancesStopped
            if not process.is_alive():
                raise RuntimeError(f"The importance process ended without an answer (exit code {process.exitcode}).")
        kind, value = receiving.recv()
    finally:
        receiving.close()
        if process.is_alive():
            process.terminate()
        process.join(5)
    if kind == "error":
        raise RuntimeError(value)
    return value


def _answer(snapshot: SweepSnapshot, sending: Any) -> None:
    """In the child process: the importances, or the error in words."""
    try:
        sending.send(("ok", param_importances(snapshot)))
    except Exception as exc:  # noqa: BLE001 - said to the window, which says it to the user
        sending.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sending.close()


def _evaluator() -> tuple[optuna.importance.BaseImportanceEvaluator, str]:
    import optuna

    if importlib.util.find_spec("sklearn") is not None:
        return optuna.importance.FanovaImportanceEvaluator(seed=0), "fANOVA"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return optuna.importance.PedAnovaImportanceEvaluator(), "PED-ANOVA"


def _distribution(spec: ParamSpec) -> optuna.distributions.BaseDistribution:
    import optuna

    if spec.kind == "choice":
        return optuna.distributions.CategoricalDistribution(list(spec.choices))
    assert spec.low is not None and spec.high is not None
    if spec.kind == "int":
        return optuna.distributions.IntDistribution(int(spec.low), int(spec.high), log=spec.log)
    return optuna.distributions.FloatDistribution(float(spec.low), float(spec.high), log=spec.log)


def _copy(trial: TrialRecord, distributions: dict[str, Any]) -> optuna.trial.FrozenTrial:
    import optuna

    params = {name: trial.params[name] for name in distributions if name in trial.params}
    return optuna.trial.create_trial(params=params, distributions={name: distributions[name] for name in params},
                                     value=trial.value)
