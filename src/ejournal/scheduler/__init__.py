"""Compliance scheduler (issue #5)."""
