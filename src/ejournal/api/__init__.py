"""HTTP API v1 (issue #4)."""
