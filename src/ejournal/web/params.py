"""A page's filters as a form sends them: an id or a date as text, empty when not chosen.
Text that is neither is 422 naming the filter, as the API answers a bad query."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import HTTPException


def an_id(name: str, raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise HTTPException(422, f"{name} is an id") from None


def optional_id(name: str, raw: str) -> UUID | None:
    return an_id(name, raw) if raw else None


def optional_day(name: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise HTTPException(422, f"{name} is a date (YYYY-MM-DD)") from None
