"""What a password must be (R-7.3: each holder keeps their credentials safe, so the school
refuses the ones anyone would guess): at least 10 characters, not among the 10,000 commonest,
not containing the username.

The commonest are the first 10,000 of zxcvbn's ranked list of leaked passwords (a maintained
package, pinned), compared ignoring case."""

from __future__ import annotations

from functools import cache

from ejournal.domain.errors import InvalidEntry

MIN_LENGTH = 10
COMMONEST = 10_000
RULE = "R-7.3"


@cache
def commonest() -> frozenset[str]:
    """The 10,000 commonest passwords, case-folded (read once, when first needed)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # 14 MB of lists: only when asked

    return frozenset(p.casefold() for p in FREQUENCY_LISTS["passwords"][:COMMONEST])


def check_password(password: str, username: str, *, field: str = "password") -> None:
    """Refuses a password the policy does not allow, naming ``field`` and the reason."""
    if len(password) < MIN_LENGTH:
        raise InvalidEntry(f"a password is at least {MIN_LENGTH} characters", rule=RULE,
                           field=field)
    folded = password.casefold()
    if folded in commonest():
        raise InvalidEntry("that password is among the 10,000 commonest; choose another",
                           rule=RULE, field=field)
    if username and username.casefold() in folded:
        raise InvalidEntry("a password must not contain the username", rule=RULE, field=field)
