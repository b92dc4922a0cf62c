"""The second factor of an account (R-4.8, R-7.3): a TOTP secret (RFC 6238, by ``pyotp``) and
ten recovery codes, kept beside the event log like the password hash (secrets must be
replaceable and erasable); the log records only that MFA was turned on or off.

A TOTP code works once: the time step of the last code accepted is kept, and a code of that
step or an earlier one is refused (a replay), in one conditional UPDATE so that two requests
racing with the same code cannot both pass. A recovery code works once the same way; only its
SHA-256 is stored (it is random, 50 bits: a slow hash would add nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pyotp
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    delete,
    insert,
    or_,
    select,
    update,
)

metadata = MetaData()

totp_secrets = Table(
    "account_totp", metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("secret", Text, nullable=False),  # base32
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),  # None: set up, not on
    Column("last_step", BigInteger, nullable=True),  # the time step of the last code accepted
)
recovery_codes = Table(
    "account_recovery_codes", metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

ISSUER = "ejournal"
RECOVERY_CODES = 10
#: Codes of the step before and after the current one are accepted too (clock drift).
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("utf-8")).hexdigest()


def normalise(code: str) -> str:
    """A code as typed: spaces and dashes dropped, case ignored."""
    return "".join(ch for ch in code.casefold() if ch not in " -")


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


class SecondFactor:
    """The second factors of every account; its tables are made by ``Accounts.setup``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def begin(self, user_id: UUID, username: str, *, now: datetime) -> Enrolment:
        """A new secret, not active until confirmed (replacing one set up before; the caller
        refuses while MFA is on)."""
        secret = pyotp.random_base32()
        with self.engine.begin() as conn:
            conn.execute(delete(totp_secrets).where(totp_secrets.c.user_id == user_id))
            conn.execute(insert(totp_secrets).values(user_id=user_id, secret=secret,
                                                     created_at=now))
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
        return Enrolment(secret, uri)

    def _secret(self, user_id: UUID, *, confirmed: bool) -> str | None:
        condition = (totp_secrets.c.confirmed_at.is_not(None) if confirmed
                     else totp_secrets.c.confirmed_at.is_(None))
        with self.engine.connect() as conn:
            found: str | None = conn.scalar(select(totp_secrets.c.secret).where(
                totp_secrets.c.user_id == user_id, condition))
        return found

    def pending(self, user_id: UUID) -> bool:
        return self._secret(user_id, confirmed=False) is not None

    def active(self, user_id: UUID) -> bool:
        return self._secret(user_id, confirmed=True) is not None

    def _use_totp(self, user_id: UUID, secret: str, code: str, *, now: datetime,
                  confirm: bool = False) -> bool:
        """True once for a code of the current time step (or one either side)."""
        totp, typed = pyotp.TOTP(secret), normalise(code)
        current = totp.timecode(now)
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(step), typed):
                values: dict[str, object] = {"last_step": step}
                if confirm:
                    values["confirmed_at"] = now
                with self.engine.begin() as conn:
                    result = conn.execute(update(totp_secrets).where(
                        totp_secrets.c.user_id == user_id, totp_secrets.c.secret == secret,
                        or_(totp_secrets.c.last_step.is_(None),
                            totp_secrets.c.last_step < step)).values(**values))
                return bool(result.rowcount)
        return False

    def confirm(self, user_id: UUID, code: str, *, now: datetime) -> list[str] | None:
        """MFA on, with ten new recovery codes (shown once); None if the code is wrong or
        nothing was set up."""
        secret = self._secret(user_id, confirmed=False)
        if secret is None or not self._use_totp(user_id, secret, code, now=now, confirm=True):
            return None
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        with self.engine.begin() as conn:
            conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
            conn.execute(insert(recovery_codes), [{"user_id": user_id, "code_hash": _digest(c)}
                                                  for c in codes])
        return codes

    def verify(self, user_id: UUID, code: str, *, now: datetime) -> bool:
        """A current TOTP code not used before, or an unused recovery code (used up now)."""
        secret = self._secret(user_id, confirmed=True)
        if secret is None or not code:
            return False
        if self._use_totp(user_id, secret, code, now=now):
            return True
        with self.engine.begin() as conn:
            result = conn.execute(update(recovery_codes).where(
                recovery_codes.c.user_id == user_id, recovery_codes.c.code_hash == _digest(code),
                recovery_codes.c.used_at.is_(None)).values(used_at=now))
        return bool(result.rowcount)

    def remove(self, user_id: UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(totp_secrets).where(totp_secrets.c.user_id == user_id))
            conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
