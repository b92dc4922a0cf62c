"""docs/events.md lists every event class with every field and its type as the code declares
it, and nothing else: a new event class or field fails here until the catalogue has it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from eventsourcing.domain import Aggregate

from ejournal.application.idempotency import CommandReceipt
from ejournal.domain.events import AGGREGATES, event_classes

CATALOGUE = Path(__file__).parent.parent.parent / "docs" / "events.md"
#: Fields every event has from the library, described once at the top of the catalogue.
LIBRARY_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
HEADING = re.compile(r"^### `([A-Za-z]+\.[A-Za-z]+)`", re.MULTILINE)
ROW = re.compile(r"^\| `([a-z0-9_]+)` \| (.+?) \| .+\|$", re.MULTILINE)


def all_event_classes() -> dict[str, type[Aggregate.Event]]:
    aggregates: tuple[type[Aggregate], ...] = (*AGGREGATES, CommandReceipt)
    return {cls.__qualname__: cls for aggregate in aggregates
            for cls in event_classes(aggregate)}


def declared(cls: type) -> dict[str, str]:
    """Each field's type as written in the code (``from __future__ import annotations``)."""
    annotations: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        annotations.update(vars(klass).get("__annotations__", {}))
    return {f.name: str(annotations[f.name]) for f in dataclasses.fields(cls)
            if f.name not in LIBRARY_FIELDS}


def sections() -> dict[str, str]:
    text = CATALOGUE.read_text(encoding="utf-8")
    found = {}
    matches = list(HEADING.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end():end]
        found[match.group(1)] = body.split("\n## ", 1)[0]
    return found


def test_every_event_class_has_its_section_and_every_section_an_event_class() -> None:
    assert sorted(sections()) == sorted(all_event_classes())


def test_each_section_lists_the_fields_with_their_declared_types() -> None:
    documented = sections()
    for name, cls in all_event_classes().items():
        rows = {field: kind.replace("\\|", "|").strip("`")
                for field, kind in ROW.findall(documented[name])}
        assert rows == declared(cls), name


def test_each_section_names_the_rule_or_says_why_none() -> None:
    for name, body in sections().items():
        assert re.search(r"R-\d|no rule|technical", body), name
