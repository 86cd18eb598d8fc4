"""Which hyperparameters mattered: Optuna's parameter importances, computed from a snapshot's COMPLETE trials.

The trials are copied into a study in memory (their distributions rebuilt from the sweep's space),
so that computing never reads the storage again and never writes it. fANOVA when scikit-learn is
installed (it sees how parameters act together), else PED-ANOVA, Optuna's default, which needs nothing.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fmnist_gui.sweeps.reading import SweepSnapshot, TrialRecord
from fmnist_gui.sweeps.space import ParamSpec

if TYPE_CHECKING:
    import optuna

MIN_TRIALS = 4  # fewer complete trials say nothing about which parameter mattered


@dataclass(frozen=True)
class Importances:
    """Each varied parameter's share of the value's variation (summing to 1), most important first."""

    shares: dict[str, float]
    evaluator: str  # "fANOVA" or "PED-ANOVA", as the workspace names it
    trials: int  # the COMPLETE trials they come from
    message: str = ""  # why there are none, when there are none


def param_importances(snapshot: SweepSnapshot) -> Importances:
    import optuna

    evaluator, name = _evaluator()
    complete = [trial for trial in snapshot.trials if trial.state == "COMPLETE" and trial.value is not None]
    space = [spec for spec in snapshot.definition.space if len({repr(t.params.get(spec.name)) for t in complete}) > 1]
    if len(complete) < MIN_TRIALS or not space:
        why = (f"{len(complete)} complete trial{'s' if len(complete) != 1 else ''} so far; importances need "
               f"{MIN_TRIALS}" if len(complete) < MIN_TRIALS else "no hyperparameter took more than one value yet")
        return Importances({}, name, len(complete), f"Not yet: {why}.")
    study = optuna.create_study(direction="maximize")  # in memory
    distributions = {spec.name: _distribution(spec) for spec in space}
    study.add_trials([_copy(trial, distributions) for trial in complete])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PED-ANOVA's "experimental" warning, said once per call
        shares = optuna.importance.get_param_importances(study, evaluator=evaluator, params=list(distributions))
    return Importances({key: float(value) for key, value in shares.items()}, name, len(complete))


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
