"""Personal credentials and sessions (R-2.1, R-4.8): argon2 password hashes, bearer tokens that
expire and can be revoked, the login rate limit, and the audit of logins and refusals.

They live in SQL tables beside the read models, not in the event log: a password hash or a
token is a secret that must be replaceable and erasable, which an immutable log is not. Only
hashes are stored: a token is shown once, at login, and kept as its SHA-256.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol, TypeVar
from uuid import UUID, uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    delete,
    func,
    insert,
    select,
    update,
)

from ejournal import mfa
from ejournal.application.locks import ddl_lock
from ejournal.domain.errors import IdempotencyKeyReused
from ejournal.mfa import SecondFactor
from ejournal.projections.base import as_utc, reading

metadata = MetaData()

credentials = Table(
    "account_credentials", metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
tokens = Table(
    "account_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Uuid, nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
#: What a token's holder sees of their sessions (``GET /me/sessions``): an id to revoke it by
#: that is not the token, and where it was last used from.
session_info = Table(
    "account_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("address", Text, nullable=True),
    Column("user_agent", Text, nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
)
failures = Table(
    "account_login_failures", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("username", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_username_at", "username", "at"),
    Index("ix_login_failures_address_at", "address", "at"),
)
audit = Table(
    "account_audit", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),  # login, login_failed, login_limited, ...
    Column("user_id", Uuid, nullable=True),
    Column("username", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("detail", Text, nullable=True),
)

TOKEN_LIFETIME = timedelta(hours=8)
SESSIONS_KEPT = 10_000  # valid sessions kept in memory per process
#: Seconds a kept session is believed before its row is read again: a revocation made by
#: another process (another server, the command line) holds within this bound, as another
#: writer's data does for the read models (docs/api.md).
SESSION_RECHECK_SECONDS = 5.0
LOGIN_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT_AND_ADDRESS = 10
FAILURES_PER_ACCOUNT = 100
FAILURES_PER_ADDRESS = 100
#: A session's ``last_used_at`` is written at most this often (not on every request).
LAST_USED_STEP = timedelta(minutes=1)
USER_AGENT_LENGTH = 200
_hasher = PasswordHasher()  # argon2id, memory-hard


#: The id no account has: what an unknown username's password is looked up under.
NO_ACCOUNT = UUID(int=0)


@cache
def _no_ones_hash() -> str:
    """An argon2 hash of a random password nobody knows (made once per process)."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Registered(Protocol):
    """What recording an account answers: the account's id."""

    @property
    def id(self) -> UUID | None: ...


R = TypeVar("R", bound=Registered)


@dataclass(frozen=True)
class Session:
    user_id: UUID
    expires_at: datetime
    id: UUID | None = None


@dataclass(frozen=True)
class SessionInfo:
    """A live session as its holder sees it."""

    id: UUID
    created_at: datetime
    last_used_at: datetime
    address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Limited:
    """Too many failed logins: retry after this many seconds."""

    retry_after: int


class Accounts:
    """The accounts of one process. Sessions found valid are kept in memory (a token is read
    on every request) until they expire, are revoked, or have been kept for
    ``SESSION_RECHECK_SECONDS``: :meth:`revoke` and :meth:`revoke_all` drop them at once in
    this process; a revocation by another process holds here within that bound."""

    def __init__(self, engine: Engine, lifetime: timedelta = TOKEN_LIFETIME) -> None:
        self.engine = engine
        self.lifetime = lifetime
        self._sessions: dict[str, tuple[Session, float]] = {}  # by token hash: with when read
        self._used: dict[str, datetime] = {}  # by token hash: last_used_at as last written
        self._revocations = 0  # a session read before a revocation ended is not kept
        self._lock = threading.Lock()
        self.monotonic: Callable[[], float] = time.monotonic  # tests move it
        self.second_factor = SecondFactor(engine)
        #: Begins every token issued here: a shard's name and a dot (``ejournal.api.shards``
        #: routes a request by it), or nothing.
        self.token_prefix = ""

    def setup(self) -> None:
        with ddl_lock(self.engine) as conn:
            metadata.create_all(conn)
            mfa.metadata.create_all(conn)
            conn.commit()

    # --- credentials -----------------------------------------------------------------------

    def set_password(self, user_id: UUID, password: str, *, now: datetime) -> None:
        digest = _hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(delete(credentials).where(credentials.c.user_id == user_id))
            conn.execute(insert(credentials).values(user_id=user_id, password_hash=digest,
                                                    updated_at=now))

    def forget_password(self, user_id: UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(credentials).where(credentials.c.user_id == user_id))

    def open_account(self, password: str, register: Callable[[UUID], R], *,
                     now: datetime) -> R:
        """An account with its password: the credential is stored first, under a new id, then
        ``register(new_id)`` records the account (its answer names the account's id). There is
        never an account without a password, and a refused account leaves no credential.

        ``register`` answers another id when it replays an earlier request (its Idempotency-Key):
        the password is in no receipt, so that it was the same request is checked against the
        first account's credential - another password is ``IdempotencyKeyReused``."""
        new_id = uuid4()
        self.set_password(new_id, password, now=now)
        try:
            registered = register(new_id)
        except BaseException:
            self.forget_password(new_id)
            raise
        if registered.id == new_id:
            return registered
        self.forget_password(new_id)
        if registered.id is None or not self.check_password(registered.id, password):
            raise IdempotencyKeyReused("this idempotency key was used with a different request")
        return registered

    def check_password(self, user_id: UUID | None, password: str) -> bool:
        """Whether this is the account's password. ``None`` (no such account) reads and
        verifies all the same, against a hash of no one's password: an unknown username costs
        what a known one does, so that no list of logins can be read off the clock."""
        with self.engine.connect() as conn:
            digest = conn.scalar(select(credentials.c.password_hash)
                                 .where(credentials.c.user_id == (user_id or NO_ACCOUNT)))
        try:
            return bool(_hasher.verify(digest or _no_ones_hash(), password)) \
                and digest is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # --- the login rate limit ----------------------------------------------------------------

    def limited(self, username: str, address: str, *, now: datetime) -> Limited | None:
        """Within 15 minutes: 10 failures for this account from this address, 100 for this
        account from all addresses, or 100 from this address. Failures from one address
        never lock the account's owner out at another until the account-wide ceiling."""
        since = now - LOGIN_WINDOW
        account = failures.c.username == username.casefold()
        here = failures.c.address == address
        with self.engine.connect() as conn:
            for where, ceiling in (((account, here), FAILURES_PER_ACCOUNT_AND_ADDRESS),
                                   ((account,), FAILURES_PER_ACCOUNT),
                                   ((here,), FAILURES_PER_ADDRESS)):
                count, oldest = conn.execute(
                    select(func.count(), func.min(failures.c.at))
                    .where(*where, failures.c.at > since)).one()
                if count >= ceiling and oldest is not None:
                    wait = as_utc(oldest) + LOGIN_WINDOW - now
                    return Limited(max(1, math.ceil(wait.total_seconds())))
        return None

    def record_failure(self, username: str, address: str, *, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(failures).values(username=username.casefold(),
                                                 address=address, at=now))
            conn.execute(delete(failures).where(failures.c.at < now - 2 * LOGIN_WINDOW))

    # --- tokens ------------------------------------------------------------------------------

    def issue_token(self, user_id: UUID, *, now: datetime, address: str | None = None,
                    user_agent: str | None = None) -> tuple[str, Session]:
        token = self.token_prefix + secrets.token_urlsafe(32)
        expires = now + self.lifetime
        session_id = uuid4()
        with self.engine.begin() as conn:
            conn.execute(insert(tokens).values(token_hash=_token_hash(token), user_id=user_id,
                                               created_at=now, expires_at=expires))
            conn.execute(insert(session_info).values(
                token_hash=_token_hash(token), id=session_id, address=address,
                user_agent=user_agent[:USER_AGENT_LENGTH] if user_agent else None,
                last_used_at=now))
        return token, Session(user_id, expires, session_id)

    def kept(self, token: str, *, now: datetime) -> Session | None:
        """What :meth:`session` answers without a statement (callable on the event loop): the
        session kept, unexpired and read less than ``SESSION_RECHECK_SECONDS`` ago, if it owes
        no ``last_used_at`` write; else None."""
        digest = _token_hash(token)
        last = self._used.get(digest)
        return self._fresh(digest, now) if last is not None and last + LAST_USED_STEP > now \
            else None

    def _fresh(self, digest: str, now: datetime) -> Session | None:
        kept = self._sessions.get(digest)
        if kept is None or kept[0].expires_at <= now \
                or self.monotonic() - kept[1] >= SESSION_RECHECK_SECONDS:
            return None  # an expired one is read again, and dropped
        return kept[0]

    def session(self, token: str, *, now: datetime) -> Session | None:
        digest = _token_hash(token)
        known = self._fresh(digest, now)
        if known is not None:
            self._touch(digest, now)
            return known
        revocations = self._revocations
        read_at = self.monotonic()
        with reading(self.engine) as conn:
            row = conn.execute(select(tokens.c.user_id, tokens.c.expires_at, tokens.c.revoked_at,
                                      session_info.c.id, session_info.c.last_used_at)
                               .outerjoin(session_info,
                                          session_info.c.token_hash == tokens.c.token_hash)
                               .where(tokens.c.token_hash == digest)).one_or_none()
        if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now:
            with self._lock:
                self._sessions.pop(digest, None)
            return None
        found = Session(row.user_id, as_utc(row.expires_at), row.id)
        self._touch(digest, now, as_utc(row.last_used_at) if row.last_used_at else None)
        with self._lock:
            if self._revocations == revocations:
                if len(self._sessions) >= SESSIONS_KEPT or len(self._used) >= 2 * SESSIONS_KEPT:
                    self._sessions.clear()
                    self._used.clear()
                self._sessions[digest] = (found, read_at)
        return found

    def _touch(self, digest: str, now: datetime, stored: datetime | None = None) -> None:
        """The session's ``last_used_at``, written at most once per ``LAST_USED_STEP``."""
        # A session read from its row is kept with the row's time, which ``kept`` checks.
        last = self._used.setdefault(digest, stored) if stored else self._used.get(digest)
        if last is not None and last + LAST_USED_STEP > now:
            return
        self._used[digest] = now
        with self.engine.begin() as conn:
            conn.execute(update(session_info).where(session_info.c.token_hash == digest)
                         .values(last_used_at=now))

    def sessions(self, user_id: UUID, *, now: datetime) -> list[SessionInfo]:
        """The user's live sessions, oldest first."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(session_info.c.id, tokens.c.created_at, session_info.c.last_used_at,
                       session_info.c.address, session_info.c.user_agent)
                .join(session_info, session_info.c.token_hash == tokens.c.token_hash)
                .where(tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None),
                       tokens.c.expires_at > now)
                .order_by(tokens.c.created_at, session_info.c.id)).all()
        return [SessionInfo(r.id, as_utc(r.created_at), as_utc(r.last_used_at), r.address,
                            r.user_agent) for r in rows]

    def revoke_session(self, user_id: UUID, session_id: UUID, *, now: datetime) -> bool:
        """Ends one live session of this user; False if they have no such session. One
        statement: on SQLite a read before the write could meet another writer's commit."""
        with self.engine.begin() as conn:
            result = conn.execute(update(tokens).where(
                tokens.c.token_hash == select(session_info.c.token_hash)
                .where(session_info.c.id == session_id).scalar_subquery(),
                tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None),
                tokens.c.expires_at > now).values(revoked_at=now))
        self._forget(lambda _, session: session.id == session_id)
        return bool(result.rowcount)

    def revoke(self, token: str, *, now: datetime) -> None:
        digest = _token_hash(token)
        with self.engine.begin() as conn:
            conn.execute(update(tokens).where(tokens.c.token_hash == digest,
                                              tokens.c.revoked_at.is_(None))
                         .values(revoked_at=now))
        self._forget(lambda key, _: key == digest)

    def revoke_all(self, user_id: UUID, *, now: datetime, keep: str | None = None) -> int:
        """Ends every session of the user (but the one of the token ``keep``)."""
        condition = [tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None)]
        if keep is not None:
            condition.append(tokens.c.token_hash != _token_hash(keep))
        with self.engine.begin() as conn:
            result = conn.execute(update(tokens).where(*condition).values(revoked_at=now))
        kept = _token_hash(keep) if keep is not None else None
        self._forget(lambda key, session: session.user_id == user_id and key != kept)
        return int(result.rowcount or 0)

    def _forget(self, which: Callable[[str, Session], bool]) -> None:
        """Drops the kept sessions ``which`` names, after their revocation is committed; a
        lookup that began before this is not kept (it may have read the row before)."""
        with self._lock:
            self._revocations += 1
            for digest in [k for k, (v, _) in self._sessions.items() if which(k, v)]:
                del self._sessions[digest]

    # --- the audit ---------------------------------------------------------------------------

    def note(self, kind: str, *, now: datetime, user_id: UUID | None = None,
             username: str | None = None, address: str | None = None,
             detail: str | None = None) -> None:
        """Records a login, a failed login or a refused access - never a password or token."""
        with self.engine.begin() as conn:
            conn.execute(insert(audit).values(at=now, kind=kind, user_id=user_id,
                                              username=username, address=address,
                                              detail=detail))

