"""The application layer stays readable: modules of a sitting's length, and the event store's
table read in one module only (and by the recorders, inside an insert; import cycles:
tests/unit/test_imports.py)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
APPLICATION = SRC / "ejournal" / "application"


def test_no_module_of_the_application_is_over_400_lines() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in APPLICATION.rglob("*.py")}
    assert sizes
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_only_the_event_store_module_reads_the_event_store_table() -> None:
    readers = sorted(str(p.relative_to(SRC)) for p in (SRC / "ejournal").rglob("*.py")
                     if "events_table_name" in p.read_text())
    # recorders.py reads it only inside the insert's own transaction (its guards)
    assert readers == ["ejournal/application/eventstore.py", "ejournal/application/recorders.py"]
