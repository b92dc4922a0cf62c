"""ejournal: an event-sourced electronic class journal and student diary for schools."""

__version__ = "0.1.0"
