"""The replica's product: the newest announcement wins; deleted, sold-out or short stock blocks a line."""

from __future__ import annotations

from orders.domain.money import Money
from orders.domain.product import Availability, Product, describe

DUMBBELL = Product("p-1", "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), stock=4, version=2)


def test_a_newer_version_supersedes_and_an_older_or_equal_one_does_not() -> None:
    newer = Product("p-1", "DUMBBELL-10KG", "Dumbbell 10 kg", Money(33_000), stock=4, version=3)
    older = Product("p-1", "DUMBBELL-10KG", "Dumbbell 10 kg", Money(40_000), stock=4, version=1)
    assert newer.supersedes(DUMBBELL)
    assert not older.supersedes(DUMBBELL)
    assert not DUMBBELL.supersedes(DUMBBELL)  # a redelivered event changes nothing
    assert DUMBBELL.supersedes(None)


def test_a_product_in_stock_is_available_up_to_its_stock() -> None:
    assert DUMBBELL.availability(4) is Availability.AVAILABLE
    assert DUMBBELL.availability(5) is Availability.NOT_ENOUGH_STOCK
    assert describe(Availability.NOT_ENOUGH_STOCK, DUMBBELL, 5) == \
        "only 4 of Dumbbell 10 kg in stock, 5 asked"


def test_stock_zero_blocks_ordering() -> None:
    sold_out = Product("p-2", "JUMP-ROPE", "Jump rope", Money(9_000), stock=0, version=1)
    assert sold_out.availability(1) is Availability.OUT_OF_STOCK
    assert describe(Availability.OUT_OF_STOCK, sold_out, 1) == "Jump rope is out of stock"


def test_a_deleted_product_cannot_be_ordered_and_its_tombstone_keeps_the_version() -> None:
    tombstone = Product.tombstone("p-1", version=3, sku="DUMBBELL-10KG")
    assert tombstone.supersedes(DUMBBELL)
    assert tombstone.availability(1) is Availability.DELETED
    # a late "updated" with an older version cannot bring it back
    late = Product("p-1", "DUMBBELL-10KG", "Dumbbell 10 kg", Money(35_000), stock=9, version=2)
    assert not late.supersedes(tombstone)
