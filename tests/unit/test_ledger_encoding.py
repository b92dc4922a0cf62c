"""The ledger's record of an event (docs/reliability.md, "The chain, exactly"): byte for byte,
the same for a PostgreSQL row and a SQLite row of the same event, and no record for a row
that is not as the event store writes one."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import pytest

from ejournal.ledger.encoding import ZERO, Unencodable, advance, chain, digest, record

ID = UUID("5d9ee7d5-9949-5a7d-8283-e0d5f4317693")
TOPIC = "ejournal.domain.lesson:Lesson.MarkGiven"
STATE = b'{"value":"4"}'


def test_a_record_is_the_position_id_version_and_length_prefixed_topic_and_state() -> None:
    expected = (bytes.fromhex("0000000000000007") + ID.bytes + bytes.fromhex("0000000000000003")
                + len(TOPIC).to_bytes(4, "big") + TOPIC.encode() + len(STATE).to_bytes(4, "big")
                + STATE)
    assert record(7, ID, 3, TOPIC, STATE) == expected
    assert advance(ZERO, (7, ID, 3, TOPIC, STATE)) == hashlib.sha256(ZERO + expected).digest()


def test_a_sqlite_row_and_a_postgresql_row_of_one_event_chain_alike() -> None:
    postgres = (7, ID, 3, TOPIC, STATE)
    sqlite = (7, ID.hex.encode(), 3, TOPIC.encode(), STATE)
    assert record(*postgres) == record(*sqlite)
    assert chain(ZERO, [postgres, postgres]) == chain(ZERO, [sqlite, sqlite])


def test_the_digest_leaves_the_position_out_and_names_the_event() -> None:
    assert digest((1, ID, 3, TOPIC, STATE)) == digest((9, ID, 3, TOPIC, STATE))
    assert digest((1, ID, 3, TOPIC, STATE)) != digest((1, ID, 4, TOPIC, STATE))
    assert digest((1, ID, 3, TOPIC, STATE + b" ")) != digest((1, ID, 3, TOPIC, STATE))


@pytest.mark.parametrize("row", [
    (1, ID.hex.upper().encode(), 3, TOPIC, STATE),  # the application reads lower case only
    (1, b"not hex at all, but 32 bytes lon", 3, TOPIC, STATE),
    (1, None, 3, TOPIC, STATE),  # SQLite: an id stored as a blob
    (1, ID, None, TOPIC, STATE),  # a version stored as text
    (1, ID, True, TOPIC, STATE),
    (1, ID, 3, None, STATE),
    (1, ID, 3, TOPIC, None),  # a state stored as text
    (1, ID, 3, TOPIC, "text"),
])
def test_a_row_not_as_the_event_store_writes_one_has_no_record_and_breaks_the_chain(
    row: tuple[Any, ...],
) -> None:
    with pytest.raises(Unencodable):
        record(*row)
    assert digest(row) is None
    honest = advance(ZERO, (1, ID, 3, TOPIC, STATE))
    assert advance(ZERO, row) not in (honest, ZERO)
