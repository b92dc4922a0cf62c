"""People: every participant has a personal account registered by the school (R-2.1)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any
from uuid import UUID

from ejournal.domain.base import JournalAggregate, SchemaV2
from ejournal.domain.errors import AlreadyExists, ConflictWithJournal, InvalidEntry, NotFound
from ejournal.domain.values import Role, reason_text, text

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


def valid_username(raw: Any) -> str:
    """Trimmed and NFC before it is checked (unique case-folded: ``ids.username_claim_id``);
    zero-width and other invisible characters are outside the pattern."""
    if isinstance(raw, str):
        raw = unicodedata.normalize("NFC", raw.strip())
    if not isinstance(raw, str) or not USERNAME.fullmatch(raw):
        raise InvalidEntry(
            "a username is 2-64 characters: latin letters, digits and . _ @ -",
            field="username",
        )
    return raw


def valid_role(raw: Any) -> Role:
    if isinstance(raw, Role):
        return raw
    try:
        return Role(raw)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidEntry(f"role is one of {allowed}", field="role") from None


class User(JournalAggregate):
    """A personal account (R-2.1, R-4.8): one per person, never shared."""

    class Registered(SchemaV2, JournalAggregate.Created):
        school_id: UUID | None
        username: str
        full_name: str
        role: Role
        by: UUID | None

    class GuardianLinked(JournalAggregate.Event):
        """A parent or legal guardian was linked to this student (R-5.3a)."""

        guardian_id: UUID
        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.guardians.add(self.guardian_id)

    class GuardianUnlinked(JournalAggregate.Event):
        """The link of a guardian to this student ended: they no longer see the student's
        data (R-5.3a)."""

        guardian_id: UUID
        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.guardians.discard(self.guardian_id)

    class PasswordChanged(JournalAggregate.Event):
        """The account's holder chose a new password (R-7.3); the secret itself is never in
        the log."""

        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.must_change_password = False

    class PasswordReset(JournalAggregate.Event):
        """The administration gave the account a temporary password: its holder must choose
        their own before doing anything else (R-4.8)."""

        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.must_change_password = True

    class Disabled(JournalAggregate.Event):
        """The account may no longer sign in (a leaver); what its holder entered stays."""

        reason: str
        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.disabled = True

    class Enabled(JournalAggregate.Event):
        """A disabled account may sign in again."""

        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.disabled = False

    class MfaEnabled(JournalAggregate.Event):
        """The holder confirmed a second factor (TOTP): login asks for a code from now on."""

        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.mfa_enabled = True

    class MfaDisabled(JournalAggregate.Event):
        """The holder turned their second factor off (with a code of it)."""

        by: UUID

        def apply(self, aggregate: User) -> None:
            aggregate.mfa_enabled = False

    def __init__(self, school_id: UUID | None, username: str, full_name: str, role: Role,
                 by: UUID | None) -> None:
        self.school_id = school_id
        self.username = username
        self.full_name = full_name
        self.role = role
        self.registered_by = by
        self.guardians: set[UUID] = set()
        self.disabled = False
        self.must_change_password = False
        self.mfa_enabled = False

    @classmethod
    def register(cls, *, user_id: UUID, school_id: UUID | None, username: Any,
                 full_name: Any, role: Any, by: UUID | None, at: datetime) -> User:
        name = text(full_name, "full_name", required=True)
        assert name is not None  # noqa: S101 - required=True never returns None
        checked_role = valid_role(role)
        if (checked_role is Role.OPERATOR) != (school_id is None):
            raise InvalidEntry("an operator belongs to no school; everyone else to one",
                               field="role")
        return cls._start(cls.Registered, id=user_id, at=at, school_id=school_id,
                          username=valid_username(username), full_name=name.strip(),
                          role=checked_role, by=by)

    def link_guardian(self, guardian: User, *, by: UUID, at: datetime) -> None:
        if self.role is not Role.STUDENT:
            raise InvalidEntry("guardians are linked to students", field="student_id")
        if guardian.role is not Role.GUARDIAN:
            raise InvalidEntry("that user is not a guardian", field="guardian_id")
        if guardian.school_id != self.school_id:
            raise InvalidEntry("the guardian belongs to another school", field="guardian_id")
        if guardian.id in self.guardians:
            raise AlreadyExists("that guardian is linked already", field="guardian_id")
        self._record(self.GuardianLinked, at=at, guardian_id=guardian.id, by=by)

    def unlink_guardian(self, guardian_id: UUID, *, by: UUID, at: datetime) -> None:
        if guardian_id not in self.guardians:
            raise NotFound("that guardian is not linked to this student", field="guardian_id")
        self._record(self.GuardianUnlinked, at=at, guardian_id=guardian_id, by=by)


    def change_password(self, *, at: datetime) -> None:
        """Recorded once the new credential is stored; by the holder themself."""
        self._record(self.PasswordChanged, at=at, by=self.id)

    def turn_mfa(self, on: bool, *, at: datetime) -> None:
        """Recorded once the holder's code was checked; by the holder themself."""
        if on == self.mfa_enabled:
            raise ConflictWithJournal("MFA is on already" if on else "MFA is not on",
                                      field="code")
        self._record(self.MfaEnabled if on else self.MfaDisabled, at=at, by=self.id)

    def reset_password(self, *, by: UUID, at: datetime) -> None:
        self._record(self.PasswordReset, at=at, by=by)

    def disable(self, *, reason: Any, by: UUID, at: datetime) -> None:
        why = reason_text(reason)
        if by == self.id:
            raise InvalidEntry("an account is disabled by another administrator",
                               field="user_id")
        if self.disabled:
            raise ConflictWithJournal("the account is disabled already", field="user_id")
        self._record(self.Disabled, at=at, reason=why, by=by)

    def enable(self, *, by: UUID, at: datetime) -> None:
        if not self.disabled:
            raise ConflictWithJournal("the account is not disabled", field="user_id")
        self._record(self.Enabled, at=at, by=by)


class UsernameClaim(JournalAggregate):
    """Holds a username for one account: its id is derived from the name (ids.py)."""

    class Claimed(JournalAggregate.Created):
        user_id: UUID

    def __init__(self, user_id: UUID) -> None:
        self.user_id = user_id

    @classmethod
    def claim(cls, *, claim_id: UUID, user_id: UUID, at: datetime) -> UsernameClaim:
        return cls._start(cls.Claimed, id=claim_id, at=at, user_id=user_id)


def username_taken(username: str) -> AlreadyExists:
    return AlreadyExists(f"the username {username!r} is taken", field="username")
