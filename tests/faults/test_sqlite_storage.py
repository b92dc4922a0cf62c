"""The SQLite file under a running ``ejournal serve`` becomes read-only, or its disk fills up:
writes are refused with 503 (read-only) or 507 (disk full) problem+json and
Retry-After - never a 500 - and write nothing; reads go on; the file stays sound
(``PRAGMA integrity_check``); once the file is writable or the disk has room again, the
same server takes writes again, the clients' retries with their Idempotency-Keys are each
recorded once, and the projector catches up.

Both need root: the read-only file is ``chattr +i`` (root ignores file modes; an immutable
file refuses writes even through descriptors already open), the full disk a small tmpfs
mounted for the test. Without root (or that capability) they are skipped, saying so."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ejournal.settings import Settings
from tests.faults.conftest import assert_problem
from tests.faults.harness import (
    Writers,
    assert_read_models_hold,
    assert_reconciled,
    classroom,
)
from tests.servers import serving_process

THREADS, PER_THREAD = 3, 12


def _integrity(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"no {name} here")
    return found


def _chattr(flag: str, *paths: Path) -> None:
    subprocess.run([_tool("chattr"), flag, *map(str, paths)], check=True, capture_output=True)


def _diary(url: str, token: str, student: object) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        return c.get(f"/api/v1/students/{student}/diary")


def test_a_read_only_database_file_refuses_writes_with_503_and_recovers(
    tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    db = tmp_path / "ejournal.db"
    settings = Settings(database_url=f"sqlite:///{db}")
    room = classroom(settings)
    files = [db, Path(f"{db}-wal")]
    probe = tmp_path / "probe"
    probe.touch()
    try:
        _chattr("+i", probe)
        _chattr("-i", probe)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"chattr +i is not possible here: {exc}")
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        writers = Writers(room, server.url, token, threads=THREADS, per_thread=PER_THREAD,
                          deadline=180).start()
        writers.acknowledged(THREADS * PER_THREAD // 3, "the file became read-only")
        # When the database file (and its write-ahead log) becomes read-only
        _chattr("+i", *files)
        try:
            # Then writes are refused with 503 and write nothing, by every writer
            writers.outcomes.wait_for(lambda: writers.outcomes.seen["503"] >= 3 * THREADS,
                                      90, "503 answers while the file is read-only")
            # and reads go on
            diary = _diary(server.url, token, room.school.students[0])
            assert diary.status_code in (200, 503), diary.text
            if diary.status_code == 503:  # a staff read is logged, and the log is the file
                assert_problem(diary, 503)
            assert _integrity(db) == ["ok"]
        finally:
            # When the file is writable again
            _chattr("-i", *files)
        outcomes = writers.join(timeout=180)

        # Then every write was acknowledged exactly once, the file is sound, the read models
        # caught up - without a restart
        book = assert_reconciled(room, outcomes, writers.keys)
        assert server.starts == 1
        assert set(outcomes.seen) <= {"201", "503"}, outcomes.seen
        record_property("answers", dict(outcomes.seen))
        record_property("replayed", outcomes.replayed)
        assert_read_models_hold(room, server.url, token, book.marks)
    assert _integrity(db) == ["ok"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs, mounted for the test."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run([_tool("mount"), "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run([_tool("umount"), "-l", str(mount)], check=False)


def _fill(path: Path) -> int:
    """Writes zeros to ``path`` until the disk is full; returns how many bytes fitted."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1024 * 1024, 4096, 1):  # down to the last byte
            block = b"\0" * size
            while True:
                try:
                    written += os.write(fd, block)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return written


def test_a_full_disk_refuses_writes_with_507_and_recovers(
    small_disk: Path, tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:
    db = small_disk / "ejournal.db"
    settings = Settings(database_url=f"sqlite:///{db}")
    room = classroom(settings)
    filler = small_disk / "filler"
    with serving_process(settings, tmp_path / "serve.log", "--no-scheduler") as server:
        token = room.token(server.url)
        writers = Writers(room, server.url, token, threads=THREADS, per_thread=PER_THREAD,
                          deadline=180).start()
        writers.acknowledged(THREADS * PER_THREAD // 3, "the disk was full")
        # When the disk fills up
        assert _fill(filler) > 0
        try:
            # Then writes are refused with 507 and write nothing, by every writer
            writers.outcomes.wait_for(lambda: writers.outcomes.seen["507"] >= 3 * THREADS,
                                      90, "507 answers while the disk is full")
            diary = _diary(server.url, token, room.school.students[0])
            # the writer's own read waits for its writes, which the read models cannot take
            # while the disk is full: 503 with Retry-After is that answer
            assert diary.status_code in (200, 503, 507), diary.text
            if diary.status_code == 507:  # a staff read is logged, and that needs room
                assert "disk is full" in assert_problem(diary, 507)["detail"]
            if diary.status_code == 503:
                assert "retry" in assert_problem(diary, 503)["detail"]
                assert diary.headers.get("Retry-After")
            assert _integrity(db) == ["ok"]
        finally:
            # When there is room again
            os.remove(filler)
        outcomes = writers.join(timeout=180)

        book = assert_reconciled(room, outcomes, writers.keys)
        assert server.starts == 1
        assert set(outcomes.seen) <= {"201", "503", "507"}, outcomes.seen
        record_property("answers", dict(outcomes.seen))
        record_property("replayed", outcomes.replayed)
        assert_read_models_hold(room, server.url, token, book.marks)
    assert _integrity(db) == ["ok"]
