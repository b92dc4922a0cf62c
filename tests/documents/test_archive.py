"""The year-end archive over HTTP and from the command line, on SQLite and PostgreSQL: every
journal per term, табель and сводная ведомость, the school's events and a manifest of SHA-256s
with the log position and ledger head; the same bytes when rebuilt, from the API or offline;
``archive verify`` passes it, and fails naming the file when any byte of any file changes."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from ejournal.documents.store import STALLED, Archives, archives
from ejournal.documents.verify import verify
from ejournal.projections.base import create_read_engine
from tests.documents.conftest import Printing
from tests.servers import serve_env, wait_until

pytestmark = pytest.mark.storage
TERMS = ("I четверть", "II четверть", "III четверть", "IV четверть")


def _archive(p: Printing, **headers: str) -> tuple[str, bytes]:
    """An archive asked for and fetched once done: its id and bytes."""
    base = f"/api/v1/schools/{p.w.s.school}/archives"
    with p.server.client(p.tokens["admin"]) as client:
        made = client.post(base, json={"year_id": str(p.w.s.year)}, headers=headers)
        assert made.status_code == 202, made.text
        archive_id = made.json()["id"]
        states: list[dict[str, Any]] = []

        def finished() -> bool:
            states.append(client.get(f"{base}/{archive_id}").json())
            return states[-1]["status"] in ("done", "failed")

        wait_until(finished, 120, "the archive")
        state = states[-1]
        assert state["status"] == "done", state
        answer = client.get(f"{base}/{archive_id}/file")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    content = answer.content
    assert (state["sha256"], state["size"]) == (hashlib.sha256(content).hexdigest(),
                                                len(content))
    assert state["done"] == state["total"] > 0
    return archive_id, content


@pytest.fixture(scope="module")
def built(printing: Printing) -> bytes:
    return _archive(printing)[1]


def _cli(p: Printing, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ejournal.cli", *args],
                          env=serve_env(p.server.database.settings), text=True,
                          capture_output=True, timeout=600, check=False)


def test_the_archive_holds_every_document_events_and_a_manifest(printing: Printing,
                                                                built: bytes) -> None:
    w = printing.w
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        events = archive.read("events.jsonl").decode().splitlines()
        assert archive.read(names[1]).startswith(b"%PDF-")
    assert names[0] == "manifest.json"
    listed = {f["path"]: f for f in manifest["files"]}
    assert sorted(listed) == sorted(names[1:])
    journals = [n for n in names if n.startswith("journals/")]
    assert len(journals) == 2 * len(TERMS)
    for term in TERMS:
        assert sum(n.endswith(f" {term}.pdf") for n in journals) == 2
    cards = [n for n in names if n.startswith("report-cards/")]
    assert sorted(n.split("/")[-1].rsplit(" ", 1)[0] for n in cards) == sorted(
        w.names.values())
    assert [n for n in names if n.startswith("summary-sheets/")] == [
        "summary-sheets/01 7Б.pdf"]
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        for name, entry in listed.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"]
    # The log position and the head every document states, as the ledger has them.
    with printing.server.client(printing.tokens["auditor"]) as client:
        head = client.get("/api/v1/ledger/head",
                          params={"position": manifest["position"]}).json()
    assert head == {"position": manifest["position"], "sha256": manifest["head"]}
    assert manifest["school"] == {"id": str(w.s.school), "name": f"Школа {w.s.tag}"}
    # The school's events up to that position, in log order, each its state as stored.
    rows = [json.loads(line) for line in events]
    positions = [r["position"] for r in rows]
    assert positions == sorted(positions)
    assert positions[-1] <= manifest["position"]
    topics = {r["topic"].rsplit(".", 1)[-1] for r in rows}
    assert {"Registered", "Held", "MarkGiven", "Given", "StudentEnrolled"} <= topics
    held = [r for r in rows if r["topic"].endswith("Lesson.Held")]
    assert len(held) == len(w.lessons)
    assert verify(built).ok
    # Its download is in the access log of every student whose табель it holds.
    for kid in w.students:
        with printing.server.client(printing.tokens["admin"]) as client:
            items = client.get(f"/api/v1/students/{kid}/access-log").json()["items"]
        assert ("Завуч", "archive") in {(x["viewer_name"], x["what"]) for x in items}


def test_rebuilt_from_the_same_log_it_is_the_same_bytes_from_the_api_and_the_cli(
        printing: Printing, built: bytes, tmp_path: Path) -> None:
    assert _archive(printing)[1] == built
    out = tmp_path / "archive.zip"
    made = _cli(printing, "archive", "--school", str(printing.w.s.school), "--year",
                str(printing.w.s.year), "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "archive [" in made.stderr  # the progress bar
    assert out.read_bytes() == built
    checked = _cli(printing, "archive", "verify", str(out))
    assert checked.returncode == 0, checked.stderr
    assert "verified" in checked.stdout


def _data_offset(content: bytes, info: zipfile.ZipInfo) -> int:
    """Where an entry's stored bytes start (after its local header)."""
    header = info.header_offset
    name_length = int.from_bytes(content[header + 26:header + 28], "little")
    extra_length = int.from_bytes(content[header + 28:header + 30], "little")
    return header + 30 + name_length + extra_length


def test_a_changed_byte_in_any_file_fails_verify_naming_it(printing: Printing, built: bytes,
                                                          tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(built)) as archive:
        infos = archive.infolist()
    for info in infos:
        at = _data_offset(built, info) + info.compress_size // 2
        changed = bytearray(built)
        changed[at] ^= 0x01
        verdict = verify(bytes(changed))
        assert not verdict.ok
        assert any(p.startswith(f"{info.filename}:") for p in verdict.problems), (
            info.filename, verdict.problems)
    # A file changed and packed again (the zip's own checksum then holds): its SHA-256 tells.
    victim = next(i.filename for i in infos if i.filename.startswith("report-cards/"))
    repacked = tmp_path / "repacked.zip"
    with zipfile.ZipFile(io.BytesIO(built)) as source, zipfile.ZipFile(repacked, "w") as out:
        for info in infos:
            data = source.read(info.filename)
            if info.filename == victim:
                data = data.replace(b"%%EOF", b"%%EOE", 1)
            out.writestr(info, data)
    checked = _cli(printing, "archive", "verify", str(repacked))
    assert checked.returncode == 1
    assert f"{victim}: its SHA-256 is not the manifest's" in checked.stderr
    assert "NOT VERIFIED" in checked.stdout


def test_a_year_not_of_the_school_is_422_and_another_schools_archive_404(
        printing: Printing, built: bytes) -> None:
    base = f"/api/v1/schools/{printing.w.s.school}/archives"
    with printing.server.client(printing.tokens["admin"]) as client:
        answer = client.post(base, json={"year_id": str(printing.w.s.school)})
        assert answer.status_code == 422
        assert "year_id" in answer.text
        unknown = "00000000-0000-4000-8000-000000000000"
        assert client.get(f"{base}/{unknown}").status_code == 404
        assert client.get(f"{base}/{unknown}/file").status_code == 404


def test_an_idempotency_key_answers_the_first_archive(printing: Printing) -> None:
    first, _ = _archive(printing, **{"Idempotency-Key": "year-end"})
    base = f"/api/v1/schools/{printing.w.s.school}/archives"
    with printing.server.client(printing.tokens["admin"]) as client:
        again = client.post(base, json={"year_id": str(printing.w.s.year)},
                            headers={"Idempotency-Key": "year-end"})
        other = client.post(base, json={"year_id": str(printing.w.s.school)},
                            headers={"Idempotency-Key": "year-end"})
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (
        202, {"id": first}, "true")
    assert other.status_code == 409


def test_a_build_whose_process_ended_reads_as_failed(printing: Printing) -> None:
    """An archive still ``running`` with no progress for 15 minutes lost its builder."""
    store = Archives(create_read_engine(printing.server.database.settings))
    try:
        made = store.create(printing.w.s.school, printing.w.s.year, printing.w.s.admin,
                            printing.server.clock(), None)
        store.progress(made, 3, 40)
        found = store.get(made)
        assert found is not None
        assert (found.status, found.done, found.total) == ("running", 3, 40)
        with store.engine.begin() as conn:
            conn.execute(update(archives).where(archives.c.id == made).values(
                updated_at=datetime.now(tz=UTC) - STALLED - timedelta(seconds=1)))
        found = store.get(made)
        assert found is not None
        assert found.status == "failed"
        assert found.error is not None
        assert "ask again" in found.error
    finally:
        store.engine.dispose()
