"""Fixtures for the engine tests that need more than the synthetic data: a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.postgres_server import ServerUnavailable, start_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL server on a Unix socket, stopped when the session ends; skipped with
    the reason where no server can be started (never faked)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'fmnist-gui[postgres]'")
    try:
        server = start_server()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server.url
    finally:
        server.stop()
