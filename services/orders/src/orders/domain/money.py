"""Money as integer minor units of one currency (KRW has no minor unit, so units are won)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

KRW = "KRW"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount; never a float, never negative, never mixed across currencies."""

    amount: int
    currency: str = KRW

    def __post_init__(self) -> None:
        # bool is an int subclass: True won would be a silent bug, not an amount.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"money amounts are integers in minor units, got {self.amount!r}")
        if self.amount < 0:
            raise ValueError(f"money cannot be negative: {self.amount}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str = KRW) -> Money:
        return cls(0, currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            raise ValueError(f"quantity must be a non-negative integer, got {quantity!r}")
        return Money(self.amount * quantity, self.currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str = KRW) -> Money:
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
