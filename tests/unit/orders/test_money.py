"""Money is exact: integer minor units, one currency, never negative."""

from __future__ import annotations

import pytest

from orders.domain.money import Money


def test_line_totals_add_up_exactly_in_won() -> None:
    dumbbells = Money(35_000).times(3)
    mat = Money(19_900)
    assert dumbbells + mat == Money(124_900, "KRW")
    assert Money.total([dumbbells, mat, Money(1)]) == Money(124_901)


def test_the_total_of_nothing_is_zero_won() -> None:
    assert Money.total([]) == Money.zero() == Money(0, "KRW")


def test_currencies_do_not_mix() -> None:
    with pytest.raises(ValueError, match="cannot combine KRW with USD"):
        _ = Money(1_000) + Money(5, "USD")


@pytest.mark.parametrize("amount", [1.5, "100", True, None])
def test_amounts_are_integers_only(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount)  # type: ignore[arg-type]


def test_money_is_never_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        Money(-1)


@pytest.mark.parametrize("quantity", [-1, 2.0, True])
def test_multiplying_needs_a_whole_non_negative_quantity(quantity: object) -> None:
    with pytest.raises(ValueError, match="quantity"):
        Money(100).times(quantity)  # type: ignore[arg-type]


def test_currency_is_an_iso_code() -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, "won")
