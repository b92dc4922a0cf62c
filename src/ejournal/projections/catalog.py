"""Every read model the projector keeps, by name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from ejournal.application import EJournal
from ejournal.projections.base import ReadModel, create_read_engine
from ejournal.projections.conversations import Conversations
from ejournal.projections.diary import Diary
from ejournal.projections.directory import Directory
from ejournal.projections.feed import Feed
from ejournal.projections.findings import Findings
from ejournal.projections.grid import Grid
from ejournal.projections.history import MarkHistory
from ejournal.projections.lookups import Lookups
from ejournal.projections.reports import Reports
from ejournal.projections.runner import Projector
from ejournal.projections.structure import SchoolStructure
from ejournal.projections.summary import Summary
from ejournal.projections.timeliness import Timeliness


def all_models() -> list[ReadModel]:
    return [Diary(), Grid(), Summary(), Timeliness(), MarkHistory(), Feed(), Directory(),
            SchoolStructure(), Findings(), Lookups(), Reports(), Conversations()]


def compliance_models() -> list[ReadModel]:
    """What the compliance scheduler reads: the structure, the entries and the findings."""
    return [SchoolStructure(), Timeliness(), Findings()]


def model_names() -> list[str]:
    return [m.name for m in all_models()]


def projector_for(app: EJournal, names: Sequence[str] | None = None,
                  engine: Engine | None = None) -> Projector:
    """A projector over the named read models (all by default) on the app's database."""
    models = all_models()
    if names:
        unknown = sorted(set(names) - {m.name for m in models})
        if unknown:
            known = ", ".join(m.name for m in models)
            raise ValueError(f"unknown read model(s) {', '.join(unknown)}; known: {known}")
        models = [m for m in models if m.name in names]
    return Projector(app, engine or create_read_engine(app.settings, writer=True), models,
                     reader=create_read_engine(app.settings, reads_only=True))
