"""Averages and percentages as the journal shows them: computed exactly and rounded half up
(4.5 is 5, 4.445 to two places is 4.45), never through a binary float."""

from __future__ import annotations

from decimal import Decimal


def half_up(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator (a positive denominator) rounded half up to ``places``
    decimals."""
    scale = 10 ** places
    return Decimal((2 * numerator * scale + denominator) // (2 * denominator)).scaleb(-places)
