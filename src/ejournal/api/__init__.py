"""HTTP API v1: routes over the application, the read models and the accounts."""
