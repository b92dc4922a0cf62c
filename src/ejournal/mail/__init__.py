"""Notifications by e-mail (R-3.4e): the outbox's sender, one per process beside the
projector, and the mail it builds."""
