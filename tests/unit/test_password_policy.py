"""The password policy on its own (R-7.3): length, the 10,000 commonest, the username."""

from __future__ import annotations

import pytest

from ejournal.domain.errors import InvalidEntry
from ejournal.domain.passwords import check_password, commonest


@pytest.mark.parametrize(("password", "reason"), [
    ("short-pw9", "at least 10 characters"),
    ("1234567890", "10,000 commonest"),
    ("QwertyUIOP", "10,000 commonest"),  # case is ignored
    ("my-ivanova-pass", "must not contain the username"),
    ("IVANOVA-2026-x", "must not contain the username"),
])
def test_a_weak_password_is_refused_naming_the_field_and_the_reason(
    password: str, reason: str,
) -> None:
    with pytest.raises(InvalidEntry) as refused:
        check_password(password, "Ivanova", field="new_password")
    assert (refused.value.field, refused.value.rule) == ("new_password", "R-7.3")
    assert reason in refused.value.detail


def test_a_long_uncommon_password_without_the_username_passes() -> None:
    check_password("Сирень цветёт в мае", "ivanova")
    check_password("correct horse battery staple", "root")


def test_the_list_holds_the_ten_thousand_commonest() -> None:
    common = commonest()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty", "iloveyou"} <= common
