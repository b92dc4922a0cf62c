"""The application layer: commands over the event store (``eventsourcing`` Application)."""

from ejournal.application.service import EJournal, Written

__all__ = ["EJournal", "Written"]
