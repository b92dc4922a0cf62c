"""The one place configuration is read from: environment variables prefixed ``EJOURNAL_``."""

from __future__ import annotations

import ipaddress
import re
from datetime import time

from pydantic import ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EJOURNAL_", extra="ignore")

    #: ``sqlite:///./ejournal.db`` (the embedded default) or
    #: ``postgresql+psycopg://user:password@host:5432/dbname`` (production).
    database_url: str = "sqlite:///./ejournal.db"
    #: A PostgreSQL streaming replica (hot standby) of ``database_url``, same URL form; empty:
    #: none. The diary, grid, summary, mark history and feed reads are served from it when it has
    #: replayed what the reader must see (docs/scaling.md); it is never written.
    replica_url: str = ""
    #: Seconds the replica may lag behind the primary and still serve reads (an upper bound
    #: of its staleness); beyond it, or while it does not answer, reads go to the primary.
    replica_max_lag_seconds: float = 2.0
    #: PostgreSQL schema holding ejournal's tables (one database may hold several installs).
    database_schema: str = "public"
    #: Seconds a writer waits for a lock before it gives up (SQLite busy timeout, PG lock_timeout).
    lock_timeout: int = 10
    #: Aggregates kept in memory between commands (least recently used first out). A cached
    #: aggregate is brought up to date from the log before every use ("fast-forward"), so
    #: several processes may share a database; 0 turns the cache off.
    aggregate_cache_size: int = 1000
    #: Threads that run the API's blocking work (database calls) of writes (every method but
    #: GET and HEAD) at once in one server process: a group commit fills only with several
    #: writes in flight (``api/request_threads.py``).
    request_threads: int = 8
    #: MiB of diary answers each server process keeps in memory, each served again only while
    #: the diary's versions say it is still the answer (docs/read-models.md); 0: none kept.
    diary_cache_mib: int = 64
    #: Threads that run the reads' (GET, HEAD) blocking work at once in one server process;
    #: 0: two on SQLite (pysqlite lets go of the GIL at every row: reads in more threads trade
    #: it back and forth; two, so that a read waiting for the projector holds up not every
    #: other), four on PostgreSQL (a read waits on the network meanwhile).
    read_threads: int = 0
    #: SQLite page cache of the projector's connection, in MiB (a cap: it fills only as the
    #: read-model tables grow). A rebuild of a large school writes into every table at once.
    projector_cache_mib: int = 64
    #: The compliance scheduler checks each school at this school-local time, for
    #: the day that has just ended (a day's entries are due by its end: R-4.5, R-4.6).
    scheduler_run_at: time = time(0, 30)
    #: Seconds between the scheduler's looks for newly registered schools.
    scheduler_refresh_seconds: int = 300
    #: Comma-separated addresses or CIDRs of the reverse proxies in front of the server. Only a
    #: request whose TCP peer is one of them has its ``X-Forwarded-For`` (the client address of
    #: the login rate limit and the audit) and ``X-Forwarded-Proto`` believed; default none.
    trusted_proxies: str = ""
    #: Comma-separated addresses or CIDRs of the clients that may read ``/metrics``.
    metrics_allow: str = "127.0.0.0/8,::1"
    #: ``ejournal serve`` prints one JSON line per request (``--no-request-log`` too turns
    #: it off).
    request_log: bool = True
    #: Where notifications are mailed (``smtp://host:port``); empty: they wait in the outbox.
    smtp_url: str = ""
    #: The sender of every notification's mail.
    mail_from: str = "ejournal@localhost"
    #: How long a sender holds a notification it is sending before another may take it.
    mail_lease_seconds: int = 60
    #: Seconds the sender waits for each answer of the SMTP server (the greeting, each
    #: command's reply, the acceptance of a mail) before it abandons the connection and
    #: retries later with back-off. Kept well under the lease, so that no other sender takes
    #: a notification while this one still waits for the server to accept it.
    smtp_timeout_seconds: float = 10
    #: ``name=url,name=url``: the PostgreSQL databases that hold the schools (each its log,
    #: read models, accounts and files), the main database keeping the directory of which
    #: school is where and the operators. Empty: the main database holds everything.
    shards: str = ""

    @field_validator("smtp_timeout_seconds")
    @classmethod
    def _timeout(cls, seconds: float, info: ValidationInfo) -> float:
        lease = info.data.get("mail_lease_seconds", 60)
        if not 0 < seconds < lease:
            raise ValueError(f"EJOURNAL_SMTP_TIMEOUT_SECONDS: {seconds} is not between 0 and "
                             f"EJOURNAL_MAIL_LEASE_SECONDS ({lease})")
        return seconds

    @field_validator("replica_url")
    @classmethod
    def _replica(cls, raw: str, info: ValidationInfo) -> str:
        if raw and not raw.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError("EJOURNAL_REPLICA_URL: a replica is a PostgreSQL server "
                             "(postgresql+psycopg://USER@HOST:PORT/DB)")
        primary = info.data.get("database_url", "")
        if raw and not str(primary).startswith(("postgresql", "postgres:")):
            raise ValueError("EJOURNAL_REPLICA_URL: a replica needs a PostgreSQL primary "
                             "(EJOURNAL_DATABASE_URL)")
        return raw

    @field_validator("replica_max_lag_seconds")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("EJOURNAL_REPLICA_MAX_LAG_SECONDS: must be above 0")
        return value

    @field_validator("diary_cache_mib")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("EJOURNAL_DIARY_CACHE_MIB: must be 0 (none kept) or more")
        return value

    @field_validator("shards")
    @classmethod
    def _replica_without_shards(cls, raw: str, info: ValidationInfo) -> str:
        if raw and info.data.get("replica_url"):
            raise ValueError("EJOURNAL_REPLICA_URL: a replica with EJOURNAL_SHARDS is not "
                             "supported (the replica would be the main database's)")
        return raw

    @field_validator("trusted_proxies", "metrics_allow")
    @classmethod
    def _networks(cls, raw: str, info: ValidationInfo) -> str:
        networks(raw, f"EJOURNAL_{(info.field_name or '').upper()}")
        return raw

    @field_validator("shards")
    @classmethod
    def _shards(cls, raw: str) -> str:
        parse_shards(raw)
        return raw


def networks(raw: str, setting: str = "EJOURNAL_TRUSTED_PROXIES") -> list[str]:
    """A setting's comma-separated addresses and CIDRs as networks (``10.0.0.1`` is
    ``10.0.0.1/32``); an item that is neither is an error naming the setting and the item."""
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"{setting}: {item!r} is not an address or a CIDR") from None
    return found


#: A shard's name in ``EJOURNAL_SHARDS`` (it begins the tokens the shard issues).
SHARD_NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")


def parse_shards(raw: str, setting: str = "EJOURNAL_SHARDS") -> dict[str, str]:
    """``name=url,name=url`` as names to URLs, in the order given; an item without a name, a
    name used twice or a URL that is not PostgreSQL's is an error naming the setting and item."""
    found: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        name, sep, url = (piece.strip() for piece in item.partition("="))
        if not sep or not SHARD_NAME.fullmatch(name):
            raise ValueError(f"{setting}: {item!r} is not name=url (a name is a-z, 0-9, _ or -, "
                             "starting with a letter)")
        if name in found:
            raise ValueError(f"{setting}: the shard {name!r} is named twice")
        if not url.startswith("postgresql"):
            raise ValueError(f"{setting}: the shard {name!r} is not a PostgreSQL URL")
        found[name] = url
    return found
