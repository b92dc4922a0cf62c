"""Read-model reads from a PostgreSQL streaming replica (``EJOURNAL_REPLICA_URL``).

The replica holds a copy of the whole database, the read models' tracking positions with it:
its ``projection_positions`` say which log position its read models have replayed. A read that
must see position P (the session's last write, or ``X-Log-Position``) is served by the
replica when the replica's read models hold P, else by the primary (after the usual wait for
the primary's read models, ``api/consistency.py``): a session that just wrote reads the
primary until the replica has replayed its write, everyone else reads the replica.

A thread per process probes the replica every ``PROBE`` seconds: its read models' position
and how far it lags behind the primary. A replica that does not answer, is not in recovery or
lags more than ``EJOURNAL_REPLICA_MAX_LAG_SECONDS`` serves nothing until a probe finds it well;
a read that fails on it is read again from the primary. Nothing is ever written through it
(a hot standby refuses writes anyway): what a read route writes (the access log, read marks)
goes to the primary's engines.

Lag, in seconds, is an upper bound of how stale the replica's reads are: 0 when it has
replayed all the WAL the primary had written when asked; otherwise the smaller of the age of
the last transaction it replayed and the time since a probe last found it caught up (an idle
primary's last commit may be old, which alone would overstate it).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy.exc
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    create_engine,
    literal_column,
    select,
    text,
)

from ejournal.projections.base import failures, positions
from ejournal.settings import Settings

log = logging.getLogger("ejournal.replica")
T = TypeVar("T")

#: Seconds between probes of the replica.
PROBE = 0.25
#: A replica whose last good probe is older than this serves nothing (a stalled prober).
STALE = 3.0
#: Seconds a connection to the replica may take to open before the read goes to the primary.
CONNECT_TIMEOUT = 2

_REPLAY = text(
    "SELECT pg_is_in_recovery(),"
    " pg_wal_lsn_diff(CAST(:lsn AS pg_lsn), pg_last_wal_replay_lsn()),"
    " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())")


def replica_engine(settings: Settings) -> Engine:
    """Reads only, each statement on its own (autocommit), in the primary's schema; a
    transaction could not write even where the server allowed it."""
    url = settings.replica_url
    if "+psycopg" not in url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1)
    options = f"-csearch_path={settings.database_schema} -cdefault_transaction_read_only=on"
    return create_engine(url, connect_args={"options": options,
                                            "connect_timeout": CONNECT_TIMEOUT},
                         pool_pre_ping=False, pool_size=5, max_overflow=10,
                         isolation_level="AUTOCOMMIT")


def _positions(*also: ColumnElement[Any]) -> Select[Any]:
    """Each read model's position, whether it failed (a failed one does not count), and
    ``also`` on every row: one statement."""
    return (select(positions.c.name, positions.c.position, failures.c.name.is_not(None), *also)
            .select_from(positions.outerjoin(failures, failures.c.name == positions.c.name)))


_POSITIONS = _positions()
#: The primary's read models and its WAL position, in one statement.
_PRIMARY = _positions(literal_column("CAST(pg_current_wal_lsn() AS text)"))


def read_models_position(rows: Sequence[Row[Any]], names: list[str]) -> int:
    """The position every named read model that has not failed has reached (the rows of a
    ``_positions`` query)."""
    at = {row[0]: int(row[1]) for row in rows if row[0] in names}
    stopped = {row[0] for row in rows if row[2]}
    running = [at.get(n, 0) for n in names if n not in stopped]
    return min(running or [at.get(n, 0) for n in names])


@dataclass(frozen=True)
class Probe:
    """What a probe found: ``problem`` is None when the replica may serve."""

    at: float  # time.monotonic()
    problem: str | None
    position: int = 0  # the replica's read models
    primary_position: int | None = None  # the primary's read models
    lag_seconds: float = math.inf
    lag_bytes: int | None = None


class Replica:
    """The replica's engine, its last probe, and the count of reads by where they were
    served and why."""

    def __init__(self, settings: Settings, primary: Engine, names: list[str]) -> None:
        self.engine = replica_engine(settings)
        self.primary = primary
        self.names = names
        self.max_lag = settings.replica_max_lag_seconds
        self.probe: Probe = Probe(time.monotonic(), "not probed yet")
        self.stop = threading.Event()
        self._caught_up_at: float | None = None
        self._reads: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- choosing ----------------------------------------------------------------------------

    def refusal(self, position: int) -> str | None:
        """None if the replica may serve a read that must see ``position``; else why not:
        ``down`` (not answering, or not a standby), ``lagging`` (beyond the bound), ``behind``
        (it has not replayed that position yet)."""
        probe = self.probe
        if probe.problem is not None or time.monotonic() - probe.at > STALE:
            return "down"
        if probe.lag_seconds > self.max_lag:
            return "lagging"
        if probe.position < position:
            return "behind"
        return None

    def served(self, by: str, reason: str) -> None:
        with self._lock:
            self._reads[(by, reason)] += 1

    def failed(self, exc: BaseException) -> None:
        """A read on the replica failed: it serves nothing until a probe finds it well."""
        self._note(Probe(time.monotonic(), f"a read failed: {type(exc).__name__}"))

    # --- probing -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ejournal-replica", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.probe_once()
            except Exception:  # a bug: logged, and the replica serves nothing meanwhile
                log.exception("replica probe failed")
                self._note(Probe(time.monotonic(), "its probe failed"))
            self.stop.wait(PROBE)

    def probe_once(self) -> Probe:
        started = time.monotonic()
        lsn: str | None = None
        primary_position: int | None = None
        try:
            with self.primary.connect() as conn:
                rows = conn.execute(_PRIMARY).all()
            lsn = rows[0][3] if rows else None
            primary_position = read_models_position(rows, self.names)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            log.debug("replica probe: the primary did not answer: %s", type(exc).__name__)
        try:
            with self.engine.connect() as conn:
                recovering, behind, age = conn.execute(_REPLAY, {"lsn": lsn}).one()
                position = read_models_position(conn.execute(_POSITIONS).all(), self.names)
        except sqlalchemy.exc.SQLAlchemyError as exc:
            return self._note(Probe(started, f"it does not answer: {type(exc).__name__}"))
        if not recovering:
            return self._note(Probe(started, "it is not a standby (not in recovery)"))
        lag_bytes = None if behind is None else max(0, int(behind))
        if lag_bytes == 0:
            self._caught_up_at = started
            lag = 0.0
        else:
            bounds = [float(age)] if age is not None else []
            if self._caught_up_at is not None:
                bounds.append(time.monotonic() - self._caught_up_at)
            lag = max(0.0, min(bounds)) if bounds else math.inf
        return self._note(Probe(started, None, position, primary_position, lag, lag_bytes))

    def _state(self, probe: Probe) -> str:
        if probe.problem is not None:
            return f"reads go to the primary: {probe.problem}"
        if probe.lag_seconds > self.max_lag:
            return f"reads go to the primary: it lags more than {self.max_lag:g} s"
        return "serving reads"

    def _note(self, probe: Probe) -> Probe:
        """Keeps ``probe``; logs when the replica starts or stops serving."""
        before, after = self._state(self.probe), self._state(probe)
        self.probe = probe
        if after != before:
            log.warning("replica: %s", after)
        return probe

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.engine.dispose()

    # --- metrics -----------------------------------------------------------------------------

    def collector(self) -> Collector:
        return _Metrics(self)

    def reads(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._reads)


class _Metrics(Collector):
    """The replica's state as its last probe found it (no query when scraped)."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    def collect(self) -> Iterator[Metric]:
        probe = self.replica.probe
        well = probe.problem is None
        up = GaugeMetricFamily("ejournal_replica_up",
                               "1 while the replica answers its probes as a standby")
        up.add_metric([], 1 if well else 0)
        yield up
        if well:
            seconds = GaugeMetricFamily(
                "ejournal_replica_lag_seconds",
                "an upper bound of how stale the replica's reads are (0: it has replayed "
                "all the primary's WAL)")
            seconds.add_metric([], probe.lag_seconds)
            position = GaugeMetricFamily("ejournal_replica_read_models_position",
                                         "the log position the replica's read models hold")
            position.add_metric([], probe.position)
            yield from (seconds, position)
            if probe.lag_bytes is not None:
                size = GaugeMetricFamily("ejournal_replica_lag_bytes",
                                         "bytes of the primary's WAL the replica has not "
                                         "replayed")
                size.add_metric([], probe.lag_bytes)
                yield size
            if probe.primary_position is not None:
                events = GaugeMetricFamily(
                    "ejournal_replica_lag_events",
                    "log positions the replica's read models are behind the primary's")
                events.add_metric([], max(0, probe.primary_position - probe.position))
                yield events
        reads = CounterMetricFamily("ejournal_replica_reads",
                                    "read-model reads that may use the replica, by where "
                                    "they were served and why", labels=["served_by", "reason"])
        for (by, reason), count in sorted(self.replica.reads().items()):
            reads.add_metric([by, reason], count)
        yield reads


@dataclass(frozen=True)
class Reads:
    """Where one request reads its read models: the replica first when ``use_replica``
    (the primary if that read fails), else the primary; counted when there is a replica."""

    primary: Engine
    replica: Replica | None = None
    use_replica: bool = False
    #: Why the primary, when it is not the replica.
    reason: str = "no_replica"

    def run(self, read: Callable[[Connection], T]) -> T:
        """``read`` on a connection of the chosen engine (reads are safe to run twice)."""
        reason = self.reason
        if self.replica is not None and self.use_replica:
            try:
                with self.replica.engine.connect() as conn:
                    result = read(conn)
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
                # Down, restarting, or a query cancelled by a conflict with recovery.
                self.replica.failed(exc)
                reason = "failed"
            else:
                self.replica.served("replica", "caught_up")
                return result
        with self.primary.connect() as conn:
            result = read(conn)
        if self.replica is not None:
            self.replica.served("primary", reason)
        return result


def open_replica(settings: Settings, primary: Engine, names: list[str]) -> Replica | None:
    """The configured replica, probed from now on; None without ``EJOURNAL_REPLICA_URL``."""
    if not settings.replica_url:
        return None
    replica = Replica(settings, primary, names)
    replica.probe_once()
    replica.start()
    return replica
