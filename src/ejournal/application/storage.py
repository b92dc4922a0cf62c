"""From a database URL to the ``eventsourcing`` persistence environment.

``sqlite:///path`` selects ``eventsourcing.sqlite`` (a file in WAL mode, with a busy timeout, so
several processes may share it); ``postgresql+psycopg://...`` selects ``eventsourcing.postgres``.
See docs/storage.md for why the library's own recorders and not ``eventsourcing-sqlalchemy``.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ejournal.settings import Settings


class UnsupportedDatabase(ValueError):
    pass


def persistence_env(settings: Settings) -> dict[str, str]:
    url = settings.database_url
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or path == ":memory:":
            raise UnsupportedDatabase("EJOURNAL_DATABASE_URL: sqlite needs a file path, "
                                      "e.g. sqlite:///./ejournal.db")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": str(settings.lock_timeout),
            "CREATE_TABLE": "y",
        }
    if scheme in ("postgresql", "postgres"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": settings.database_schema,
            "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_PRE_PING": "y",
            "CREATE_TABLE": "y",
        }
    raise UnsupportedDatabase(
        f"EJOURNAL_DATABASE_URL: unsupported scheme {parts.scheme!r}; "
        "use sqlite:///FILE or postgresql+psycopg://USER@HOST:PORT/DB"
    )


def describe(settings: Settings) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(settings.database_url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return settings.database_url
