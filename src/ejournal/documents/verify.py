"""``ejournal archive verify``: an archive is whole when every file its manifest lists is there
with the SHA-256 and size the manifest states, it holds nothing else, and each entry reads
back as the zip's own checksum says. Each problem names the file."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ejournal.documents.archive import FORMAT, MANIFEST


@dataclass
class Verdict:
    files: int = 0
    position: int | None = None
    head: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(archive: zipfile.ZipFile, name: str, verdict: Verdict) -> bytes | None:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        verdict.problems.append(f"{name}: does not read back ({exc})")
        return None


def _manifest(archive: zipfile.ZipFile, verdict: Verdict) -> dict[str, Any] | None:
    raw = _read(archive, MANIFEST, verdict) if MANIFEST in archive.namelist() else None
    if raw is None:
        if MANIFEST not in archive.namelist():
            verdict.problems.append(f"{MANIFEST}: missing")
        return None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        verdict.problems.append(f"{MANIFEST}: not JSON ({exc})")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(
            manifest.get("files"), list):
        verdict.problems.append(f"{MANIFEST}: not an {FORMAT} manifest")
        return None
    return manifest


def verify(source: Path | bytes) -> Verdict:
    """The archive's verdict (a file's, or bytes'): its problems (none: it is whole), files,
    position and head."""
    verdict = Verdict()
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        name = "the archive" if isinstance(source, bytes) else source.name
        verdict.problems.append(f"{name}: not a readable zip archive ({exc})")
        return verdict
    with archive:
        manifest = _manifest(archive, verdict)
        names = [n for n in archive.namelist() if n != MANIFEST]
        if manifest is None:
            for name in names:
                _read(archive, name, verdict)  # name any entry that fails its checksum too
            return verdict
        verdict.position, verdict.head = manifest.get("position"), manifest.get("head")
        listed: dict[str, dict[str, Any]] = {}
        for entry in manifest["files"]:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                listed[entry["path"]] = entry
        for name in names:
            if name not in listed:
                verdict.problems.append(f"{name}: not in the manifest")
                _read(archive, name, verdict)
        for name, entry in listed.items():
            if name not in names:
                verdict.problems.append(f"{name}: missing")
                continue
            content = _read(archive, name, verdict)
            if content is None:
                continue
            verdict.files += 1
            if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
                verdict.problems.append(f"{name}: its SHA-256 is not the manifest's")
            elif len(content) != entry.get("size"):
                verdict.problems.append(f"{name}: its size is not the manifest's")
    return verdict
