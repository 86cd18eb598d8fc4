"""A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl start` listening only on
a Unix socket in that folder, `pg_ctl stop` and the folder removed at the end.

PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user when there is one,
else as `nobody`, and the folder is theirs. Without the server programs (`make postgres` installs Debian's)
or a way to become that user, `start_server` says why in `ServerUnavailable`, for the test to skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

DATABASE_USER = "fmnist"


class ServerUnavailable(Exception):
    """There is no way to start a server here; the message says why."""


@dataclass
class Server:
    folder: Path  # holds data/, the socket and server.log
    programs: Path
    user: str | None  # whom the server runs as; None: this process's user

    @property
    def url(self) -> str:
        return f"postgresql://{DATABASE_USER}@/postgres?host={self.folder}"

    def stop(self) -> None:
        _run(self, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def server_programs() -> Path | None:
    """The folder of initdb, pg_ctl and postgres: on PATH (a link is followed to its version's folder), else the
    newest under /usr/lib/postgresql/*/bin, as Debian installs them."""
    found = shutil.which("initdb")
    if found:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: [int(n) for n in re.findall(r"\d+", path)])
    return Path(versions[-1]).parent if versions else None


def server_user() -> str | None:
    """Whom to run the server as: None when this process is not root, else `postgres` or `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ServerUnavailable("running as root, and there is neither a postgres nor a nobody user to run the server as")


def start_server() -> Server:
    programs = server_programs()
    if programs is None:
        raise ServerUnavailable("PostgreSQL's server programs are not installed (no initdb on PATH or under "
                                "/usr/lib/postgresql/*/bin): `make postgres`, or apt-get install postgresql")
    user = server_user()
    if user is not None and not (shutil.which("runuser") or shutil.which("su")):
        raise ServerUnavailable(f"running as root, and neither runuser nor su is here to run the server as {user}")
    folder = Path(tempfile.mkdtemp(prefix="fmnist-pg-"))  # under /tmp, which the server's user can reach
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = Server(folder, programs, user)
    try:
        _run(server, "initdb", "-D", str(folder / "data"), "-U", DATABASE_USER, "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync", "--no-instructions")
        _run(server, "pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
             "-o", f"-k {folder} -c listen_addresses='' -c fsync=off", "start")
    except subprocess.CalledProcessError as exc:
        log = (folder / "server.log").read_text(errors="replace")[-2000:] if (folder / "server.log").exists() else ""
        server.stop()
        raise RuntimeError(f"the PostgreSQL server did not start: {exc.stderr or exc.stdout}\n{log}") from None
    return server


def _run(server: Server, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [str(server.programs / program), *args]
    if server.user is not None:
        if shutil.which("runuser"):
            command = ["runuser", "-u", server.user, "--", *command]
        else:
            command = ["su", "-s", "/bin/sh", server.user, "-c", shlex.join(command)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check, cwd=server.folder)
