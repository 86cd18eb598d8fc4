"""A sweep's search space: one `--param NAME=SPEC` per hyperparameter, parsed, checked and suggested.

`lr=1e-4:0.1:log` is a range (`low:high`, `:log` for a log scale), `optimizer=sgd,adamw` a list of
choices. Any TrainConfig field a run takes on the command line may vary but the epochs (the sweep's
own `--epochs`) and the device (where trials train, not what they learn).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fmnist_gui.config import ConfigError, TrainConfig
from fmnist_gui.errors import UserFacingError
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    import optuna

NOT_VARIED = {"epochs": "the epochs are the sweep's own: give --epochs E",
              "device": "the device is where trials train, not a hyperparameter: give --device",
              "labels": "trials train on the labels of the data files; a label fix set is for `fmnist-gui train --labels`"}
# Each hyperparameter of TrainConfig and its type ("str", "float", "int", "bool": the annotations as written);
# the fields left out of a config's equality (the preset it started from) say where values came from, not what they are.
FIELD_TYPES: dict[str, str] = {field.name: str(field.type) for field in dataclasses.fields(TrainConfig) if field.compare}
VARIABLE = tuple(name for name in FIELD_TYPES if name not in NOT_VARIED)
TRUE, FALSE = ("true", "on", "yes", "1"), ("false", "off", "no", "0")


class SpaceError(UserFacingError):
    """A `--param` that cannot be part of a search space; the message says why, in one line."""


@dataclass(frozen=True)
class ParamSpec:
    """One varied hyperparameter: a float or int range, or a list of choices."""

    name: str
    kind: str  # "float", "int" (ranges) or "choice"
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: optuna.Trial) -> Any:
        """This trial's value, from Optuna's sampler."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def describe(self) -> str:
        """As it was given: `lr=0.0001:0.1:log`, `optimizer=sgd,adamw`."""
        if self.kind == "choice":
            return f"{self.name}={','.join(_text(value) for value in self.choices)}"
        return f"{self.name}={_text(self.low)}:{_text(self.high)}{':log' if self.log else ''}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"choices": list(self.choices)}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> ParamSpec:
        """A spec as the study keeps it; SpaceError for one this version cannot use."""
        try:
            spec = cls(name=stored["name"], kind=stored["kind"], low=stored.get("low"), high=stored.get("high"),
                       log=bool(stored.get("log", False)), choices=tuple(stored.get("choices") or ()))
        except (KeyError, TypeError):
            raise SpaceError(f"The sweep's search space holds a parameter this version cannot read: {printable(stored)}.") from None
        if spec.name not in VARIABLE or spec.kind not in ("float", "int", "choice"):
            raise SpaceError(f"The sweep's search space holds {printable(spec.name)!r} ({printable(spec.kind)}), "
                             "which this version cannot vary.")
        return spec


def parse_param(text: str, base: TrainConfig) -> ParamSpec:
    """`NAME=SPEC` as a ParamSpec whose every value `base` accepts; SpaceError (one line) otherwise."""
    name, equals, spec = text.partition("=")
    name = name.strip().replace("-", "_")
    if not equals or not name or not spec.strip():
        raise SpaceError(f"--param {printable(text)!r} is not NAME=SPEC: e.g. lr=1e-4:0.1:log or optimizer=sgd,adamw.")
    if name in NOT_VARIED:
        raise SpaceError(f"{name} cannot vary in a sweep: {NOT_VARIED[name]}.")
    if name not in FIELD_TYPES:
        raise SpaceError(f"{printable(name)!r} is not a hyperparameter; the ones that can vary are {', '.join(VARIABLE)}.")
    kind = FIELD_TYPES[name]
    parsed = _range(name, kind, spec) if ":" in spec else _choices(name, kind, spec)
    for value in (parsed.low, parsed.high) if parsed.kind != "choice" else parsed.choices:
        try:
            base.replace(**{name: value})
        except ConfigError as exc:
            raise SpaceError(f"{parsed.describe()}: {exc}") from None
    return parsed


def parse_space(texts: list[str], base: TrainConfig) -> tuple[ParamSpec, ...]:
    """Every `--param`, each name once."""
    space: list[ParamSpec] = []
    for text in texts:
        spec = parse_param(text, base)
        if any(other.name == spec.name for other in space):
            raise SpaceError(f"{spec.name} is given twice; give each hyperparameter one --param.")
        space.append(spec)
    return tuple(space)


def _range(name: str, kind: str, spec: str) -> ParamSpec:
    parts = [part.strip() for part in spec.split(":")]
    log = len(parts) == 3 and parts[2] == "log"
    if len(parts) != 2 and not log:
        raise SpaceError(f"{name}={printable(spec)} is not a range: write low:high, or low:high:log for a log scale.")
    if kind not in ("int", "float"):
        raise SpaceError(f"{name} is a choice, not a number: list its values, e.g. {name}={_example(name)}.")
    low, high = (_number(name, kind, part) for part in parts[:2])
    if not low < high:
        raise SpaceError(f"{name}={printable(spec)}: the low end must be below the high end.")
    if log and low <= 0:
        raise SpaceError(f"{name}={printable(spec)}: a log scale needs a low end above 0.")
    return ParamSpec(name, kind, low=low, high=high, log=log)


def _choices(name: str, kind: str, spec: str) -> ParamSpec:
    values = [_value(name, kind, part.strip()) for part in spec.split(",")]
    if len(values) < 2:
        raise SpaceError(f"{name}={printable(spec)} is one value: set it with --{name.replace('_', '-')}, "
                         "or give a range low:high or a list a,b.")
    if len(set(values)) != len(values):
        raise SpaceError(f"{name}={printable(spec)} lists a value twice.")
    return ParamSpec(name, "choice", choices=tuple(values))


def _value(name: str, kind: str, text: str) -> Any:
    if kind in ("int", "float"):
        return _number(name, kind, text)
    if kind == "bool":
        if text.lower() in TRUE + FALSE:
            return text.lower() in TRUE
        raise SpaceError(f"{name} is on or off: write {name}=true,false, not {printable(text)!r}.")
    return text


def _number(name: str, kind: str, text: str) -> int | float:
    try:
        value: int | float = int(text) if kind == "int" else float(text)
    except ValueError:
        what = "whole numbers" if kind == "int" else "numbers"
        raise SpaceError(f"{name} takes {what}: {printable(text)!r} is not one.") from None
    if not math.isfinite(value):
        raise SpaceError(f"{name} takes finite numbers, not {printable(text)!r}.")
    return value


def _example(name: str) -> str:
    return {"optimizer": "sgd,adamw", "model": "small-cnn,quickstart-mlp", "schedule": "constant,one-cycle",
            "augment": "true,false"}.get(name, "a,b")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
