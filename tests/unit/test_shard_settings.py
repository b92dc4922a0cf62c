"""``EJOURNAL_SHARDS``: names and URLs in the order given, refused with the setting and the
item named; a new school's shard is the one holding the fewest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ejournal.settings import Settings, parse_shards
from ejournal.shards import emptiest

URL = "postgresql+psycopg://postgres@127.0.0.1:5433/a?sslmode=disable"


def test_shards_are_names_and_urls_in_order() -> None:
    assert parse_shards(f" b={URL}, a=postgresql://h/a ,") == {
        "b": URL, "a": "postgresql://h/a"}
    assert parse_shards("") == {}
    assert Settings().shards == ""


@pytest.mark.parametrize(("raw", "says"), [
    (URL, "is not name=url"),
    (f"A={URL}", "is not name=url"),
    (f"a={URL},a={URL}", "named twice"),
    ("a=sqlite:///x.db", "is not a PostgreSQL URL"),
])
def test_a_bad_shard_is_refused_naming_the_setting(raw: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(shards=raw)
    assert "EJOURNAL_SHARDS" in str(refused.value)
    assert says in str(refused.value)


def test_a_new_school_goes_to_the_emptiest_shard_the_first_named_of_a_tie() -> None:
    shards = {"b": 1, "a": 2, "c": 3}
    assert emptiest(shards, {}) == "b"
    assert emptiest(shards, {"b": 2, "a": 1, "c": 1}) == "a"
    assert emptiest(shards, {"b": 1, "a": 1}) == "c"
