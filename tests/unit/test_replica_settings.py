"""``EJOURNAL_REPLICA_URL`` and its bound: a replica is a PostgreSQL standby of a PostgreSQL
primary; anything else is refused at start, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ejournal.settings import Settings

PRIMARY = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STANDBY = "postgresql+psycopg://postgres@127.0.0.1:5433/test"


def test_a_replica_of_a_postgresql_primary_is_taken() -> None:
    settings = Settings(database_url=PRIMARY, replica_url=STANDBY)
    assert (settings.replica_url, settings.replica_max_lag_seconds) == (STANDBY, 2.0)
    assert Settings(database_url=PRIMARY).replica_url == ""


@pytest.mark.parametrize(("primary", "replica", "says"), [
    ("sqlite:///./ejournal.db", STANDBY, "needs a PostgreSQL primary"),
    (PRIMARY, "mysql://root@127.0.0.1/test", "is a PostgreSQL server"),
    (PRIMARY, "sqlite:///./replica.db", "is a PostgreSQL server"),
])
def test_a_replica_that_cannot_be_one_is_refused(primary: str, replica: str,
                                                 says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(database_url=primary, replica_url=replica)
    assert "EJOURNAL_REPLICA_URL" in str(refused.value)
    assert says in str(refused.value)


@pytest.mark.parametrize("bound", [0, -1])
def test_the_lag_bound_must_be_positive(bound: float) -> None:
    with pytest.raises(ValidationError, match="EJOURNAL_REPLICA_MAX_LAG_SECONDS"):
        Settings(database_url=PRIMARY, replica_url=STANDBY, replica_max_lag_seconds=bound)


def test_a_replica_with_shards_is_refused() -> None:
    with pytest.raises(ValidationError, match="EJOURNAL_REPLICA_URL: a replica with "
                                              "EJOURNAL_SHARDS"):
        Settings(database_url=PRIMARY, replica_url=STANDBY, shards=f"a={PRIMARY}")
