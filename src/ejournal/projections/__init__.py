"""Read models kept from the event log (docs/read-models.md)."""
