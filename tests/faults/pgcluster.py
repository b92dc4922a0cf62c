"""A throwaway PostgreSQL server of our own (``initdb`` + ``pg_ctl`` in a temporary
directory, on a free loopback port), so that a test may stop it and start it again without
touching the shared server on 5432. As root, the server runs as the ``postgres`` user."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from tests.servers import free_port, wait_until


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                   key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                   else 0)
    return Path(found[-1]) if found else None


class ThrowawayPostgres:
    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            raise FileNotFoundError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="ejournal-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.logfile = self.root / "server.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N",
                  "--no-instructions", "-E", "UTF8", "--locale=C")
        self.running = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}\n"
                               f"{self.log_tail()}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=100 -c fsync=on -c synchronous_commit=on")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
                  "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: as a crash (no checkpoint; recovery from the WAL at the next
        start); ``fast``: clients are disconnected, the server shuts down cleanly."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def destroy(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.logfile.exists():
            return ""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    # --- streaming replication ---------------------------------------------------------------

    def allow_replication(self) -> None:
        """Lets standbys stream from this server (``wal_level=replica`` is the default): WAL
        senders, and a ``trust`` line for replication connections from loopback. Takes
        effect at the next start (call it before :meth:`start`)."""
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\nmax_wal_senders = 10\nwal_level = replica\nhot_standby = on\n")
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")

    def standby(self) -> ThrowawayPostgres:
        """A hot standby of this running server (``pg_basebackup -R``: it streams from this
        one), on a free port of its own, not started yet."""
        standby = ThrowawayPostgres.__new__(ThrowawayPostgres)
        standby.bin = self.bin
        standby.root = Path(tempfile.mkdtemp(prefix="ejournal-pg-standby-", dir="/tmp"))
        standby.data = standby.root / "data"
        standby.logfile = standby.root / "server.log"
        standby.port = free_port()
        standby.as_postgres = self.as_postgres
        standby.running = False
        if standby.as_postgres:
            shutil.chown(standby.root, "postgres", "postgres")
        standby._run("pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream",
                     "-c", "fast", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres")
        return standby

    def execute(self, statement: str) -> list[tuple[Any, ...]]:
        """One SQL statement on this server's ``postgres`` database (autocommit): its rows."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description is not None else []

    def pause_replay(self) -> None:
        """A standby stops applying the WAL it receives (its reads stay where they are)."""
        self.execute("SELECT pg_wal_replay_pause()")
        wait_until(lambda: self.execute("SELECT pg_get_wal_replay_pause_state()")[0][0]
                   == "paused", 30, "the standby's replay to pause")

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()")

    def replayed(self, primary: ThrowawayPostgres) -> bool:
        """Whether this standby has applied all the WAL ``primary`` has written so far."""
        (lsn,), = primary.execute("SELECT pg_current_wal_lsn()::text")
        (behind,), = self.execute(f"SELECT pg_wal_lsn_diff('{lsn}', pg_last_wal_replay_lsn())")
        return bool(behind <= 0)
