"""The application layer: commands (``commands``) run by ``EJournal.execute`` over the event
store, answering typed results (``results``), and the questions the API asks (``queries``)."""

from ejournal.application.app import EJournal
from ejournal.application.results import Result

__all__ = ["EJournal", "Result"]
