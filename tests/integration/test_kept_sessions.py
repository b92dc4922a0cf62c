"""Sessions kept in memory (``Accounts.session``): a token found valid is not read again, yet a
revoked or expired one is refused on its very next lookup (R-2.1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import event

from ejournal.accounts import SESSION_RECHECK_SECONDS, Accounts
from ejournal.projections.base import create_read_engine
from tests.databases import NOW, Database


@pytest.fixture
def accounts(database: Database) -> Iterator[Accounts]:
    database.app().close()  # the schema
    found = Accounts(create_read_engine(database.settings))
    found.setup()
    yield found
    found.engine.dispose()


def _token_reads(accounts: Accounts) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "account_tokens" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(accounts.engine, "before_cursor_execute", note)
    return seen


def test_a_valid_session_is_read_once_and_kept(accounts: Accounts) -> None:
    user = uuid4()
    token, issued = accounts.issue_token(user, now=NOW)
    reads = _token_reads(accounts)
    assert accounts.session(token, now=NOW) == issued
    assert accounts.session(token, now=NOW + timedelta(hours=1)) == issued
    assert len(reads) == 1
    assert accounts.session(token + "x", now=NOW) is None  # unknown: read, never kept
    assert accounts.session(token + "x", now=NOW) is None
    assert len(reads) == 3


def test_a_kept_session_is_refused_once_revoked(accounts: Accounts) -> None:
    user = uuid4()
    first, _ = accounts.issue_token(user, now=NOW)
    second, kept = accounts.issue_token(user, now=NOW)
    assert accounts.session(first, now=NOW) is not None
    assert accounts.session(second, now=NOW) == kept
    accounts.revoke(first, now=NOW)
    assert accounts.session(first, now=NOW) is None
    assert accounts.session(second, now=NOW) == kept  # only that token


def test_every_kept_session_of_a_user_is_refused_once_all_are_revoked(
        accounts: Accounts) -> None:
    user, other = uuid4(), uuid4()
    tokens = [accounts.issue_token(user, now=NOW)[0] for _ in range(3)]
    others, kept = accounts.issue_token(other, now=NOW)
    for token in [*tokens, others]:
        assert accounts.session(token, now=NOW) is not None
    assert accounts.revoke_all(user, now=NOW) == 3
    assert [accounts.session(t, now=NOW) for t in tokens] == [None, None, None]
    assert accounts.session(others, now=NOW) == kept


def test_a_kept_session_expires_on_time(accounts: Accounts) -> None:
    token, issued = accounts.issue_token(uuid4(), now=NOW)
    assert accounts.session(token, now=NOW) == issued
    assert accounts.session(token, now=issued.expires_at - timedelta(seconds=1)) == issued
    assert accounts.session(token, now=issued.expires_at) is None


def test_a_revocation_by_another_process_holds_within_the_recheck_bound(
        accounts: Accounts, database: Database) -> None:
    clock = [100.0]
    accounts.monotonic = lambda: clock[0]
    elsewhere = Accounts(create_read_engine(database.settings))  # another server's
    try:
        token, issued = accounts.issue_token(uuid4(), now=NOW)
        assert accounts.session(token, now=NOW) == issued
        elsewhere.revoke(token, now=NOW)
        clock[0] += SESSION_RECHECK_SECONDS - 0.5
        assert accounts.session(token, now=NOW) == issued  # still believed, within the bound
        clock[0] += 1.0
        assert accounts.session(token, now=NOW) is None  # read again: revoked
        assert accounts.session(token, now=NOW) is None
    finally:
        elsewhere.engine.dispose()
