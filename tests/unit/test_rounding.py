"""The one rounding of averages and percentages: exact, half up."""

from decimal import Decimal

import pytest

from ejournal.projections.rounding import half_up


@pytest.mark.parametrize(("numerator", "denominator", "places", "shown"), [
    (9, 2, 0, "5"),            # 4.5 -> 5, not banker's 4
    (889, 200, 2, "4.45"),     # 4.445 -> 4.45 (a float would make it 4.44)
    (2, 3, 2, "0.67"),
    (13, 3, 2, "4.33"),
    (100, 8, 1, "12.5"),
    (100 * 2, 3, 1, "66.7"),
    (5, 1, 2, "5.00"),
])
def test_half_up(numerator: int, denominator: int, places: int, shown: str) -> None:
    assert half_up(numerator, denominator, places) == Decimal(shown)
    assert str(half_up(numerator, denominator, places)) == shown
