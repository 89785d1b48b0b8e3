"""Several app processes, one database: each process has its own engine (its own connection
pool), and nothing of a login, a logout or the data version lives in one of them. Two engines
on one URL stand for two processes (tests/test_browser_two_apps.py runs two real ones)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from actors import add_household, seed_places
from sqlalchemy import Engine, create_engine

from rete import auth
from rete.db import data_version, session_scope


@pytest.fixture
def processes(engine: Engine, cast: dict[str, int]) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on the migrated database of `engine` (SQLite and PostgreSQL), whose users
    are `cast`'s."""
    url = engine.url.render_as_string(hide_password=False)
    one, other = create_engine(url), create_engine(url)
    yield one, other
    one.dispose()
    other.dispose()


def test_a_session_opened_through_one_process_is_the_same_session_in_the_other(
    processes: tuple[Engine, Engine],
) -> None:
    one, other = processes
    user = auth.authenticate(one, "olga", "password-di-prova")
    ticket = auth.issue_ticket(one, user)
    # The login form ran on one process; the browser's /auth/session may reach the other.
    redeemed = auth.redeem_ticket(other, ticket)
    assert redeemed is not None
    assert auth.redeem_ticket(one, ticket) is None  # one use, whichever process sees it again
    for process in (one, other):
        assert auth.user_for_token(process, redeemed.token) == user

    auth.end_session(other, redeemed.token)  # logout on the other process
    for process in (one, other):
        assert auth.user_for_token(process, redeemed.token) is None


def test_a_write_through_one_process_moves_the_version_the_other_reads(
    processes: tuple[Engine, Engine],
) -> None:
    """The pages' caches are keyed on the data version: the other process must read the new
    one on its next run, or it would show its cached answer."""
    one, other = processes
    place = next(iter(seed_places(one).values()))
    before = data_version(other)
    with session_scope(one) as session:
        add_household(session, code="VA-900001", neighbourhood_id=place)
    assert data_version(other) > before
    assert data_version(other) == data_version(one)
