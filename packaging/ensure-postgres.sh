#!/bin/sh
# Makes sure PostgreSQL's server programs are here, for the sweep test that runs against a real database
# (tests/engine/test_sweeps_postgres.py starts a throwaway server of its own; nothing here starts one).
# Does nothing when initdb is on PATH or under /usr/lib/postgresql/*/bin; otherwise installs Debian's
# postgresql package when it can (as root or with password-less sudo).
for initdb in $(command -v initdb) /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$initdb" ] && exit 0
done
as_root=""
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && as_root="sudo"; }
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$as_root" ]; }; then
    echo "PostgreSQL's server is not installed: installing Debian's postgresql package (for the sweep test)"
    $as_root apt-get update -q >/dev/null && $as_root apt-get install -y -q postgresql >/dev/null
fi
for initdb in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$initdb" ] && exit 0
done
cat >&2 <<'MSG'
PostgreSQL's server is still missing, so the sweep test against a real database will be skipped.
Install it with:  sudo apt-get install postgresql
MSG
exit 0
