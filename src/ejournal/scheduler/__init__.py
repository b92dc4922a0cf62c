"""Compliance scheduler: finds journal entries missing after their deadline (docs/scheduler.md)."""
