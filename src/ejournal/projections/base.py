"""What every read model is made of: its own tables, and handlers for the events it reads.

A read model owns its tables outright (its own copy of what it joins at read time, e.g.
subject names or enrolments), so that it can be dropped and rebuilt from the event log alone,
without reading another read model's tables. Events name what their readers need, so a
handler writes the facts of its event and looks nothing up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from eventsourcing.domain import DomainEventProtocol
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

from ejournal.projections.batching import Batch
from ejournal.settings import Settings

metadata = MetaData()

positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=True),
)
#: Each read model's :meth:`ReadModel.fingerprint` as its tables were made.
schemas = Table(
    "projection_schemas",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
)
#: A read model whose handler failed: it stopped at ``position`` (the event it could not
#: apply); the others went on. Cleared when the model is set up again or rebuilt.
failures = Table(
    "projection_failures",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
)

H = TypeVar("H", bound=Callable[..., None])


def handles(*event_classes: type) -> Callable[[H], H]:
    """Marks a method ``(self, batch, e, position)`` of a :class:`ReadModel` as the handler of
    these event classes. Its ``e`` is annotated with the class (or their union), so mypy
    checks every event field a read model reads."""

    def mark(method: H) -> H:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class ReadModel:
    """A read model: a name, its tables, and ``@handles(...)`` methods ``(batch, event, pos)``.

    Handlers must be deterministic functions of the event and the model's own tables: no
    clock, no I/O besides their batch (:class:`~ejournal.projections.batching.Batch`). They run
    inside the projector batch's transaction.
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    #: Tables the model creates but a rebuild keeps: state its readers write (a read cursor),
    #: which the log cannot give back.
    kept_tables: ClassVar[tuple[Table, ...]] = ()
    _dispatch: ClassVar[dict[type, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dispatch: dict[type, str] = {}
        for klass in reversed(cls.__mro__):  # handlers of mixins too; a subclass overrides
            for attr, value in vars(klass).items():
                for event_class in getattr(value, "_handles", ()):
                    dispatch[event_class] = attr
        cls._dispatch = dispatch
        for table in (*getattr(cls, "tables", ()), *cls.kept_tables):
            # Rows are found by their primary key: on SQLite the key is then the table's only
            # B-tree (no rowid table beside a key index), half the work per row written.
            table.dialect_options["sqlite"]["with_rowid"] = False

    def topics(self) -> set[type]:
        return set(self._dispatch)

    def apply(self, batch: Batch, domain_event: DomainEventProtocol[Any], position: int
              ) -> None:
        attr = self._dispatch.get(type(domain_event))
        if attr is not None:
            getattr(self, attr)(batch, domain_event, position)

    def finish(self, batch: Batch) -> None:
        """Runs once after a batch's events were applied, before its writes are sent: what a
        model writes once per batch rather than once per event."""

    @classmethod
    def fingerprint(cls) -> str:
        """A digest of the model's table definitions: when it changes, the tables kept on
        disk no longer fit the code, and the model is rebuilt."""
        digest = hashlib.sha256()
        for table in sorted(cls.tables, key=lambda t: t.name):
            digest.update(table.name.encode())
            digest.update(f"|rowid:{table.dialect_options['sqlite']['with_rowid']}".encode())
            for column in table.columns:
                digest.update(f"|{column.name}:{column.type!r}:{column.nullable}:"
                              f"{column.primary_key}".encode())
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                digest.update(f"|ix {index.name}:{[c.name for c in index.columns]}".encode())
        return digest.hexdigest()[:16]


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite gives it back naive, in UTC)."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


def create_read_engine(settings: Settings, *, writer: bool = False,
                       reads_only: bool = False) -> Engine:
    """An SQLAlchemy engine on the same database as the event store.

    On SQLite, a ``writer`` engine begins every transaction with ``BEGIN IMMEDIATE`` (it takes
    the write lock first, so two projectors never interleave a batch), in WAL mode with a busy
    timeout; readers begin deferred transactions and never block the writer. On PostgreSQL the
    read models live in ``EJOURNAL_DATABASE_SCHEMA``.

    A writer's commits are not waited onto the disk (SQLite ``synchronous=NORMAL`` in WAL mode,
    PostgreSQL ``synchronous_commit=off``); SQLite gives it a page cache of
    ``projector_cache_mib`` (64 MiB by default) and lets the WAL grow to 10,000 pages (~40 MiB)
    before it checkpoints, not after every batch. Read models
    are kept from the log: a batch lost in a power cut takes its position with it (same
    transaction) and is applied again, and neither setting can corrupt the database. The event
    store's own connections keep their full durability.

    An engine for ``reads_only`` runs each PostgreSQL statement on its own (autocommit): no
    ``BEGIN`` before and no ``ROLLBACK`` after a read, two round trips of three saved. Under
    PostgreSQL's READ COMMITTED every statement sees its own snapshot either way. (SQLite's
    readers keep their transaction: it gives several statements one snapshot, at no cost.)
    """
    url = settings.database_url
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme == "sqlite":
        engine = create_engine(f"sqlite:///{_sqlite_path(url)}",
                               connect_args={"timeout": settings.lock_timeout,
                                             "check_same_thread": False})
        begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={settings.lock_timeout * 1000}")
            if writer:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute(f"PRAGMA cache_size=-{settings.projector_cache_mib * 1024}")
                cursor.execute("PRAGMA wal_autocheckpoint=10000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)

        return engine
    if scheme in ("postgresql", "postgres"):
        pg_url = url if "+psycopg" in url else url.replace("postgresql://", "postgresql+psycopg://",
                                                            1)
        options = f"-csearch_path={settings.database_schema}"
        if writer:
            options += " -csynchronous_commit=off"
        return create_engine(
            pg_url,
            connect_args={"options": options},
            # No ping before each use (a round trip per request): a connection that died
            # with its server fails its statement, which invalidates the pool (503 for that
            # request, new connections for the next ones).
            pool_pre_ping=False,
            pool_size=5,
            max_overflow=10,
            **({"isolation_level": "AUTOCOMMIT"} if reads_only else {}),
        )
    raise ValueError(f"unsupported database URL scheme {scheme!r}")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on PostgreSQL in autocommit (see
    :func:`create_read_engine`'s ``reads_only``), on SQLite in its usual read transaction."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
