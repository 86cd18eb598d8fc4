"""Where a sweep's study lives, and opening it: Optuna's journal file for one machine, PostgreSQL for many.

By default the study is the journal `RUNS_DIR/sweeps/NAME/journal.log` (`JournalStorage` over
`JournalFileBackend`: appends under a file lock, safe for many processes on one machine). With a
`postgresql://` URL it is Optuna's `RDBStorage`, with a heartbeat so that a trial whose worker died
(killed, or its machine gone) is failed by the next worker or reader. SQLite is not offered: it is
the one storage Optuna warns against for parallel workers.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.errors import UserFacingError
from fmnist_gui.names import SAFE_NAME, SAFE_NAME_RULE
from fmnist_gui.runs.layout import SWEEPS as SWEEPS_FOLDER
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    import optuna

    from fmnist_gui.sweeps.definition import SweepDefinition

JOURNAL = "journal.log"
NAME = SAFE_NAME  # a folder name on every system, and a study name
HEARTBEAT_SECONDS = 10  # a database trial's worker says it is alive this often …
GRACE_SECONDS = 60  # … and is taken for dead after this long without a word
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class SweepError(UserFacingError):
    """A sweep that cannot be created, found or read; the message says why, in one line."""


class SweepExists(SweepError):
    """`create` of a name already taken."""


@dataclass(frozen=True)
class SweepStore:
    """One sweep's place: its name and either a journal file or a database URL."""

    name: str
    journal: Path | None = None
    url: str | None = None  # as given; `sqlalchemy_url` is what SQLAlchemy is handed

    @classmethod
    def locate(cls, name: str, storage: str | None, runs_dir: Path) -> SweepStore:
        """The sweep `name` in the database `storage`, or in the journal under `runs_dir` when it is None.
        SweepError for a name that cannot be a folder or a URL that is not PostgreSQL's."""
        check_name(name)
        if storage is None:
            return cls(name, journal=Path(runs_dir).expanduser() / SWEEPS_FOLDER / name / JOURNAL)
        check_url(storage)
        return cls(name, url=storage)

    @property
    def is_database(self) -> bool:
        return self.url is not None

    @property
    def sqlalchemy_url(self) -> str:
        """postgresql:// as the psycopg 3 driver's URL: SQLAlchemy would otherwise look for psycopg2."""
        assert self.url is not None
        scheme, _, rest = self.url.partition("://")
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else self.url

    def describe(self) -> str:
        """Where it is, for messages: the journal's path, or the URL without its password."""
        if self.journal is not None:
            return printable(self.journal)
        return printable(_hide_password(self.url or ""))

    def storage_argument(self) -> str | None:
        """What `--storage` a worker process is given to reach this sweep (None: the journal)."""
        return self.url


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise SweepError(f"{printable(name)!r} cannot name a sweep: {SAFE_NAME_RULE}.")


def check_url(url: str) -> None:
    scheme = url.partition("://")[0]
    if scheme.startswith("sqlite"):
        raise SweepError("SQLite is not a sweep storage (it does not take many workers well): leave --storage out "
                         "for the journal file on one machine, or give postgresql://USER@HOST/DATABASE for many.")
    if "://" not in url or scheme not in POSTGRES_SCHEMES:
        raise SweepError(f"--storage takes a PostgreSQL URL, postgresql://USER@HOST/DATABASE, not {printable(url)!r}.")


def open_storage(store: SweepStore, create: bool = False) -> optuna.storages.BaseStorage:
    """Optuna's storage for `store`. A journal that does not exist is made only when `create`;
    SweepError for a missing one, an unreachable database or a missing driver."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    quiet_optuna()
    if store.journal is not None:
        if not create and not store.journal.is_file():
            raise missing(store)
        try:
            store.journal.parent.mkdir(parents=True, exist_ok=True)
            with database_errors(store):
                return optuna.storages.JournalStorage(JournalFileBackend(str(store.journal)))
        except OSError as exc:
            raise SweepError(f"The sweep journal {store.describe()} cannot be opened: {exc.strerror or exc}.") from None
    with database_errors(store), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat_interval is "experimental"
        return optuna.storages.RDBStorage(store.sqlalchemy_url, heartbeat_interval=HEARTBEAT_SECONDS,
                                          grace_period=GRACE_SECONDS, engine_kwargs={"pool_pre_ping": True})


def create_study(store: SweepStore, definition: SweepDefinition) -> None:
    """A new study holding `definition`; SweepExists when the name is taken (also by a create that raced this one)."""
    import optuna

    storage = open_storage(store, create=True)
    try:
        with database_errors(store):
            try:
                study = optuna.create_study(storage=storage, study_name=store.name, direction="maximize")
            except optuna.exceptions.DuplicatedStudyError:
                raise SweepExists(f"A sweep named {store.name!r} exists already in {store.describe()}; "
                                  "choose another name, or add trials to it with `fmnist-gui sweep work`.") from None
            for key, value in definition.to_attrs().items():
                study.set_user_attr(key, value)
    finally:
        close_storage(storage)


@contextlib.contextmanager
def opened_study(store: SweepStore, sampler: optuna.samplers.BaseSampler | None = None,
                 pruner: optuna.pruners.BasePruner | None = None) -> Iterator[optuna.Study]:
    """The sweep's study while inside; SweepError when there is no such sweep. A database's connections
    are closed at the end: a reader that looks every second must not hold one more each time."""
    import optuna

    storage = open_storage(store)
    try:
        with database_errors(store):
            try:
                storage.get_study_id_from_name(store.name)
            except KeyError:
                raise missing(store) from None
            study = optuna.load_study(study_name=store.name, storage=storage, sampler=sampler, pruner=pruner)
        yield study
    finally:
        close_storage(storage)


def close_storage(storage: optuna.storages.BaseStorage) -> None:
    """Close a database storage's connections (a journal holds no file open between reads)."""
    import optuna

    if isinstance(storage, optuna.storages.RDBStorage):
        storage.remove_session()
        storage.engine.dispose()


def list_sweeps(storage: str | None, runs_dir: Path) -> list[str]:
    """The sweeps in the journal folder RUNS_DIR/sweeps, or the studies of a database, by name."""
    import optuna

    if storage is None:
        folder = Path(runs_dir).expanduser() / SWEEPS_FOLDER
        try:
            return sorted(entry.name for entry in folder.iterdir() if NAME.fullmatch(entry.name) and (entry / JOURNAL).is_file())
        except OSError:
            return []
    store = SweepStore.locate("list", storage, runs_dir)
    backend = open_storage(store)
    try:
        with database_errors(store):
            return sorted(optuna.get_all_study_names(backend))
    finally:
        close_storage(backend)


def missing(store: SweepStore) -> SweepError:
    where = f"in {store.describe()}" if store.is_database else f"(no {store.describe()})"
    return SweepError(f"There is no sweep named {store.name!r} {where}; `fmnist-gui sweep list` lists them.")


@contextlib.contextmanager
def database_errors(store: SweepStore) -> Iterator[None]:
    """A database that cannot be reached, or a driver that is not installed, as one SweepError line."""
    try:
        yield
    except ImportError as exc:  # RDBStorage's own, raised from the driver's ModuleNotFoundError
        missing_module = exc.name or getattr(exc.__cause__, "name", None) or ""
        if store.is_database and missing_module.split(".")[0] in ("psycopg", "psycopg2", "sqlalchemy"):
            raise SweepError("PostgreSQL support is not installed: pip install 'fmnist-gui[postgres]'.") from None
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's and psycopg's errors, without importing either up front
        if not _is_database_error(exc):
            raise
        raise SweepError(f"The sweep database {store.describe()} cannot be used: {_first_line(exc)}.") from None


def quiet_optuna() -> None:
    """Optuna logs each trial and study at INFO; our own lines say what happened, so only its warnings show."""
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)


def _is_database_error(exc: BaseException) -> bool:
    import optuna

    if isinstance(exc, optuna.exceptions.StorageInternalError):
        return True
    module = type(exc).__module__.split(".")[0]
    return module in ("sqlalchemy", "psycopg", "psycopg2")


def _first_line(exc: BaseException) -> str:
    """The driver's own words (e.g. "connection refused"), without SQLAlchemy's background link and SQL."""
    cause = exc
    while (inner := getattr(cause, "orig", None) or cause.__cause__) is not None:  # Optuna's, then SQLAlchemy's wrapping
        cause = inner
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    text = lines[0] if lines else type(cause).__name__
    return printable(_hide_password(text)).rstrip(".")[:300]


def _hide_password(text: str) -> str:
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
