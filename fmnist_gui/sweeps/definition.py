"""What a sweep is: its space, budget, epochs, preset, sampler, pruner and fixed options.

The definition lives in the study itself, as its user attributes, so that a worker on another machine
needs only the sweep's name and the storage to take part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fmnist_gui.config import ConfigError, TrainConfig, preset
from fmnist_gui.names import PRESET_NAMES
from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps.space import FIELD_TYPES, ParamSpec, SpaceError, parse_space

if TYPE_CHECKING:
    import optuna

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
DEFINITION_SCHEMA = 1  # of the study's user attributes below; raised if one ever changes meaning
MARK = "fmnist_gui_sweep"  # the user attribute that makes a study an fmnist-gui sweep (its value: the schema)


@dataclass(frozen=True)
class SweepDefinition:
    """A sweep as `sweep create` defines it; `fixed` holds the TrainConfig options given besides the preset."""

    space: tuple[ParamSpec, ...]
    trials: int  # COMPLETE + PRUNED trials the sweep ends with
    epochs: int  # each trial's
    preset: str = "default"
    sampler: str = "tpe"
    pruner: str = "median"
    fixed: dict[str, Any] = field(default_factory=dict)
    data_dir: str | None = None  # used by a worker that gives no --data-dir of its own

    def __post_init__(self) -> None:
        if self.preset not in PRESET_NAMES or self.sampler not in SAMPLERS or self.pruner not in PRUNERS:
            raise SpaceError(f"The sweep's preset, sampler or pruner ({printable(self.preset)}, {printable(self.sampler)}, "
                             f"{printable(self.pruner)}) is not one this version knows.")
        if self.sampler == "grid":
            ranges = [spec.name for spec in self.space if spec.kind != "choice"]
            if ranges:
                raise SpaceError(f"The grid sampler tries listed values only: give {', '.join(ranges)} as a list "
                                 f"(e.g. {ranges[0]}=a,b,c), or use --sampler tpe or random for a range.")
            if self.trials > self.grid_size:
                raise SpaceError(f"The grid has {self.grid_size} points; --trials {self.trials} would repeat some. "
                                 f"Give --trials {self.grid_size} or fewer.")

    @property
    def grid_size(self) -> int:
        size = 1
        for spec in self.space:
            size *= len(spec.choices) if spec.kind == "choice" else 0
        return size

    def base_config(self) -> TrainConfig:
        """The preset with the fixed options and the sweep's epochs: what every trial starts from."""
        return preset(self.preset).replace(**self.fixed, epochs=self.epochs)

    def trial_config(self, params: dict[str, Any], device: str | None = None) -> TrainConfig:
        """A trial's config: the base with its suggested values (and this machine's device, when given)."""
        overrides = dict(params) | ({"device": device} if device else {})
        return self.base_config().replace(**overrides)

    def check(self) -> None:
        """SpaceError when the base config itself is refused (a fixed option TrainConfig does not accept)."""
        try:
            self.base_config()
        except (ConfigError, TypeError) as exc:
            raise SpaceError(f"The sweep's fixed options are refused: {exc}") from None

    def make_sampler(self) -> optuna.samplers.BaseSampler:
        import optuna

        if self.sampler == "grid":
            return _grid_sampler({spec.name: list(spec.choices) for spec in self.space})
        if self.sampler == "random":
            return optuna.samplers.RandomSampler()
        # constant_liar: parallel workers see running trials as bad guesses, so they do not all ask the same point.
        return optuna.samplers.TPESampler(constant_liar=True)

    def make_pruner(self) -> optuna.pruners.BasePruner:
        import optuna

        if self.pruner == "hyperband":
            return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=self.epochs)
        if self.pruner == "none":
            return optuna.pruners.NopPruner()
        return optuna.pruners.MedianPruner()

    def to_attrs(self) -> dict[str, Any]:
        """The study's user attributes: plain JSON, readable by optuna-dashboard too."""
        return {MARK: DEFINITION_SCHEMA, "space": [spec.to_dict() for spec in self.space], "trials": self.trials,
                "epochs": self.epochs, "preset": self.preset, "sampler": self.sampler, "pruner": self.pruner,
                "fixed": dict(self.fixed), "data_dir": self.data_dir}

    @classmethod
    def from_attrs(cls, name: str, attrs: dict[str, Any]) -> SweepDefinition:
        """The definition a study keeps; SpaceError when the study is not an fmnist-gui sweep this version reads."""
        if attrs.get(MARK) != DEFINITION_SCHEMA:
            raise SpaceError(f"The study {printable(name)!r} is not an fmnist-gui sweep (or one of a newer version): "
                             "it holds no sweep definition.")
        try:
            definition = cls(space=tuple(ParamSpec.from_dict(spec) for spec in attrs["space"]), trials=int(attrs["trials"]),
                             epochs=int(attrs["epochs"]), preset=attrs["preset"], sampler=attrs["sampler"],
                             pruner=attrs["pruner"], fixed=dict(attrs.get("fixed") or {}), data_dir=attrs.get("data_dir"))
        except (KeyError, TypeError, ValueError):
            raise SpaceError(f"The sweep definition of {printable(name)!r} is damaged.") from None
        return definition


def define_from_config(config: TrainConfig, params: Sequence[str], *, trials: int, epochs: int, sampler: str = "tpe",
                       pruner: str = "median", data_dir: str | None = None) -> SweepDefinition:
    """A sweep around a training form's values: `params` vary (`NAME=SPEC`, as `--param` takes them), every other
    value is fixed as the form has it (kept in `fixed` where it differs from the preset it started from).
    SpaceError (one line) for anything the space, TrainConfig or the sampler refuses."""
    start = config.preset if config.preset in PRESET_NAMES else "default"
    varied = {text.partition("=")[0].strip().replace("-", "_") for text in params}
    base = preset(start)
    fixed = {name: value for name, value in config.to_dict().items()
             if name in FIELD_TYPES and name != "epochs" and name not in varied and value != getattr(base, name)}
    shell = SweepDefinition(space=(), trials=1, epochs=epochs, preset=start, fixed=fixed)
    shell.check()
    space = parse_space(list(params), shell.base_config())
    if not space:
        raise SpaceError("Choose at least one hyperparameter to vary.")
    return SweepDefinition(space=space, trials=trials, epochs=epochs, preset=start, sampler=sampler, pruner=pruner,
                           fixed=fixed, data_dir=data_dir)


def _grid_sampler(grid: dict[str, list[Any]]) -> optuna.samplers.BaseSampler:
    """Optuna's GridSampler, shuffled alike in every worker (a trial's point is its index into that order),
    without its `after_trial`: that only calls `study.stop()`, which is for `study.optimize` and raises in
    ask-and-tell; the budget ends our sweeps."""
    import optuna

    class GridForAskAndTell(optuna.samplers.GridSampler):
        def after_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial, state: optuna.trial.TrialState,
                        values: Sequence[float] | None) -> None:
            pass

    return GridForAskAndTell(grid, seed=0)
