"""What a homework file is, judged by its bytes and never by its name: PDF, images (PNG, JPEG,
GIF, WebP), office documents (Word, Excel and PowerPoint, old and new; OpenDocument; RTF) and
plain text. Anything else is refused, naming the field ``file``.

The sniff, in order:
- a signature at offset 0: ``%PDF-``, PNG's, JPEG's ``FF D8 FF``, ``GIF87a``/``GIF89a``,
  ``RIFF....WEBP``, ``{\\rtf``;
- a zip (``PK\\x03\\x04``) is an office document only by its entries: OOXML by
  ``[Content_Types].xml`` with ``word/document.xml``, ``xl/workbook.xml`` or
  ``ppt/presentation.xml``; OpenDocument by its ``mimetype`` entry (read, at most 100 bytes).
  Only the zip's directory is read, never an entry's expanded contents;
- an OLE2 compound file (``D0 CF 11 E0 A1 B1 1A E1``: .doc, .xls, .ppt) by the name of its
  main stream, in UTF-16 in its directory: ``WordDocument``, ``Workbook``/``Book``,
  ``PowerPoint Document``;
- text: UTF-8 (with or without BOM), else Windows-1251, with no control characters but tab,
  line breaks and form feed.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import Any

from ejournal.domain.errors import InvalidEntry

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 255

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"{\\rtf", "application/rtf"),
)
_OOXML = (
    ("word/document.xml",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/presentation.xml",
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_ODF = {f"application/vnd.oasis.opendocument.{k}"
        for k in ("text", "spreadsheet", "presentation", "graphics")}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_STREAMS = (
    ("WordDocument", "application/msword"),
    ("Workbook", "application/vnd.ms-excel"),
    ("Book", "application/vnd.ms-excel"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
)
#: Bytes no text holds: C0 controls but tab, LF, FF, CR; and DEL.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
SHA256 = re.compile(r"[0-9a-f]{64}")
#: Every type ``kind_of`` answers.
KINDS = frozenset({
    *(k for _, k in _SIGNATURES), *(k for _, k in _OOXML), *_ODF, *(k for _, k in _OLE_STREAMS),
    "image/webp", "text/plain; charset=utf-8", "text/plain; charset=windows-1251"})
ACCEPTED = "PDF, an image (PNG, JPEG, GIF, WebP), an office document or plain text"


def _refused(why: str) -> InvalidEntry:
    return InvalidEntry(f"file {why}: a homework file is {ACCEPTED}", field="file")


def _zip_kind(content: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        if "[Content_Types].xml" in names:
            for entry, kind in _OOXML:
                if entry in names:
                    return kind
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
            declared = archive.read("mimetype").decode("ascii", "replace").strip()
            if declared in _ODF:
                return declared
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError,
            NotImplementedError, RuntimeError, EOFError):
        return None
    return None


def _ole_kind(content: bytes) -> str | None:
    for stream, kind in _OLE_STREAMS:
        # a directory entry's name: UTF-16LE, then the terminating NUL character
        if (stream.encode("utf-16-le") + b"\x00\x00") in content:
            return kind
    return None


def _text_kind(content: bytes) -> str | None:
    if len(content.translate(None, _CONTROL)) != len(content):
        return None
    try:
        content.decode("utf-8")
        return "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        pass
    try:
        content.decode("cp1251")
    except UnicodeDecodeError:
        return None
    return "text/plain; charset=windows-1251"


def kind_of(content: bytes) -> str:
    """The file's media type, from its bytes; else ``InvalidEntry`` naming ``file``."""
    if not content:
        raise _refused("is empty")
    for signature, kind in _SIGNATURES:
        if content.startswith(signature):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    found: str | None = None
    if content.startswith(b"PK\x03\x04"):
        found = _zip_kind(content)
        if found is None:
            raise _refused("is a zip archive that is no office document")
    elif content.startswith(_OLE):
        found = _ole_kind(content)
        if found is None:
            raise _refused("is a compound file that is no Word, Excel or PowerPoint file")
    else:
        found = _text_kind(content)
    if found is None:
        raise _refused("is of a kind not accepted")
    return found


def file_name(raw: Any) -> str:
    """The name to show and to download under: the last part of the path the browser sent,
    without control or format characters, at most MAX_NAME characters."""
    if not isinstance(raw, str):
        raise InvalidEntry("file has no name", field="file")
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if not clean or clean in (".", ".."):
        raise InvalidEntry("file has no name", field="file")
    if len(clean) > MAX_NAME:
        stem, dot, ext = clean.rpartition(".")
        clean = (stem[:MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 16 \
            else clean[:MAX_NAME]
    return clean
