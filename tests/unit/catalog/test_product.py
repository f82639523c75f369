"""The Product aggregate: registration rules, versioned updates, deletion and advisory stock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog.domain.events import ProductDeleted, ProductRegistered, ProductUpdated
from catalog.domain.product import (
    REMEMBERED_STOCK_MOVES,
    InvalidProduct,
    Money,
    Product,
    ProductChanges,
    ProductDetails,
    ProductIsDeleted,
    StaleVersion,
    product_id_for,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


def details(**changes: object) -> ProductDetails:
    fields: dict[str, object] = {"name": "덤벨 10kg", "description": "육각 덤벨", "category": "weights",
                                 "price": Money(39_000), "stock": 10}
    fields.update(changes)
    return ProductDetails(**fields)  # type: ignore[arg-type]


def dumbbell(stock: int = 10) -> Product:
    product = Product.register("DUMBBELL-10KG", details(stock=stock), NOW)
    product.events.clear()
    return product


def test_registering_records_product_registered_at_version_one() -> None:
    product = Product.register("dumbbell-10kg", details(), NOW)
    assert product.sku == "DUMBBELL-10KG"
    assert product.version == 1 and product.created_at == product.updated_at == NOW
    assert product.id == product_id_for("DUMBBELL-10KG")
    [event] = product.events
    assert isinstance(event, ProductRegistered)
    assert (event.product.sku, event.product.stock, event.product.version) == ("DUMBBELL-10KG", 10, 1)


def test_a_sku_always_names_the_same_product_id_whatever_its_case() -> None:
    assert product_id_for("yoga-mat-8mm") == product_id_for("YOGA-MAT-8MM")
    assert product_id_for("YOGA-MAT-8MM") != product_id_for("YOGA-MAT-6MM")


def test_text_is_trimmed_on_registration() -> None:
    product = Product.register("FOAM-ROLLER-45", details(name="  폼롤러 45cm ", description=" 고밀도 "), NOW)
    assert (product.name, product.description) == ("폼롤러 45cm", "고밀도")


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": "   "}, "name"),
     ({"name": "x" * 101}, "name"),
     ({"description": "x" * 2001}, "description"),
     ({"category": "Weights"}, "category"),
     ({"category": ""}, "category"),
     ({"category": "weights\n"}, "category"),
     ({"price": Money(0)}, "price.amount"),
     ({"price": Money(-100)}, "price.amount"),
     ({"price": Money(100_000_001)}, "price.amount"),
     ({"price": Money(1000, "USD")}, "price.currency"),
     ({"stock": -1}, "stock"),
     ({"stock": 1_000_001}, "stock")],
)
def test_a_product_breaking_a_rule_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidProduct) as refused:
        Product.register("KETTLEBELL-16KG", details(**changes), NOW)
    assert [p.field for p in refused.value.problems] == [field]


@pytest.mark.parametrize("sku", ["", "-DASH-FIRST", "HAS SPACE", " PADDED", "LINE\n", "ÜBER", "X" * 41])
def test_a_malformed_sku_is_refused(sku: str) -> None:
    with pytest.raises(InvalidProduct) as refused:
        Product.register(sku, details(), NOW)
    assert refused.value.problems[0].field == "sku"


def test_every_broken_rule_is_reported_at_once() -> None:
    with pytest.raises(InvalidProduct) as refused:
        Product.register("JUMP-ROPE", details(name="", price=Money(0), stock=-3), NOW)
    assert {p.field for p in refused.value.problems} == {"name", "price.amount", "stock"}


def test_an_update_on_the_current_version_bumps_it_and_records_product_updated() -> None:
    product = dumbbell()
    assert product.update(1, ProductChanges(price=Money(35_000), name="덤벨 10kg (특가)"), LATER)
    assert (product.version, product.price.amount, product.name) == (2, 35_000, "덤벨 10kg (특가)")
    assert product.updated_at == LATER and product.created_at == NOW
    [event] = product.events
    assert isinstance(event, ProductUpdated) and event.product.version == 2


def test_an_update_on_a_stale_version_is_refused_and_changes_nothing() -> None:
    product = dumbbell()
    product.update(1, ProductChanges(stock=3), LATER)
    product.events.clear()
    with pytest.raises(StaleVersion) as stale:
        product.update(1, ProductChanges(stock=99), LATER)
    assert (stale.value.expected, stale.value.current) == (1, 2)
    assert product.stock == 3 and product.events == []


def test_an_update_that_changes_nothing_keeps_the_version_and_records_nothing() -> None:
    product = dumbbell()
    assert not product.update(1, ProductChanges(name="덤벨 10kg", stock=10), LATER)
    assert product.version == 1 and product.events == []


def test_an_invalid_update_is_refused_and_changes_nothing() -> None:
    product = dumbbell()
    with pytest.raises(InvalidProduct):
        product.update(1, ProductChanges(price=Money(0)), LATER)
    assert product.price == Money(39_000) and product.version == 1


def test_deleting_records_product_deleted_and_freezes_the_product() -> None:
    product = dumbbell()
    product.delete(LATER)
    assert product.deleted and product.version == 2
    assert product.events == [ProductDeleted(product.id, "DUMBBELL-10KG", 2)]
    with pytest.raises(ProductIsDeleted):
        product.update(2, ProductChanges(stock=1), LATER)
    with pytest.raises(ProductIsDeleted):
        product.delete(LATER)
    with pytest.raises(ProductIsDeleted):
        product.take_stock(1, LATER, cause="order-event-9")


def test_a_deleted_products_sku_can_be_registered_again_as_the_next_version() -> None:
    product = dumbbell()
    product.delete(LATER)
    product.events.clear()
    product.register_again(details(name="덤벨 10kg 신형", stock=4), LATER)
    assert not product.deleted and product.version == 3 and product.name == "덤벨 10kg 신형"
    [event] = product.events
    assert isinstance(event, ProductRegistered) and event.product.version == 3


# -- stock -----------------------------------------------------------------------------------


def test_taking_stock_lowers_it_and_records_product_updated() -> None:
    product = dumbbell(stock=10)
    movement = product.take_stock(3, LATER, "order-event-1")
    assert (product.stock, product.oversold, product.version) == (7, 0, 2)
    assert movement.oversold == 0 and movement.stock == 7
    [event] = product.events
    assert isinstance(event, ProductUpdated) and event.product.stock == 7


def test_selling_beyond_stock_is_accepted_and_counted_as_oversold() -> None:
    product = dumbbell(stock=2)
    movement = product.take_stock(5, LATER, "order-event-2")
    assert (product.stock, product.oversold) == (0, 3)
    assert movement.oversold == 3  # an outcome to act on, not an error: the order is paid
    assert product.events[-1].product.stock == 0  # type: ignore[union-attr]


def test_returned_units_first_settle_what_was_oversold() -> None:
    product = dumbbell(stock=2)
    product.take_stock(5, LATER, "order-event-3")
    product.return_stock(2, LATER, "order-event-4")
    assert (product.stock, product.oversold) == (0, 1)
    product.return_stock(4, LATER, "order-event-5")
    assert (product.stock, product.oversold) == (3, 0)


def test_sales_and_returns_commute_so_event_order_does_not_matter() -> None:
    forwards, backwards = dumbbell(stock=1), dumbbell(stock=1)
    forwards.take_stock(4, LATER, "order-event-6")
    forwards.return_stock(4, LATER, "order-event-7")
    backwards.return_stock(4, LATER, "order-event-8")
    backwards.take_stock(4, LATER, "order-event-9")
    assert (forwards.stock, forwards.oversold) == (backwards.stock, backwards.oversold) == (1, 0)


def test_a_seller_setting_stock_settles_the_oversold_count() -> None:
    product = dumbbell(stock=1)
    product.take_stock(3, LATER, "order-event-10")
    product.update(product.version, ProductChanges(stock=20), LATER)
    assert (product.stock, product.oversold) == (20, 0)


def test_a_seller_changing_only_the_price_keeps_the_oversold_count() -> None:
    product = dumbbell(stock=1)
    product.take_stock(3, LATER, "order-event-11")
    product.update(product.version, ProductChanges(price=Money(30_000)), LATER)
    assert (product.stock, product.oversold) == (0, 2)


def test_an_order_event_moves_stock_once_however_often_it_comes() -> None:
    product = dumbbell(stock=10)
    assert product.take_stock(3, LATER, "placed-1") is not None
    version = product.version
    assert product.take_stock(3, LATER, "placed-1") is None
    assert product.return_stock(3, LATER, "placed-1") is None  # same event id, whatever the kind
    assert (product.stock, product.version, len(product.events)) == (7, version, 1)


def test_a_product_remembers_a_bounded_number_of_applied_order_events() -> None:
    product = dumbbell(stock=1_000_000)
    for n in range(REMEMBERED_STOCK_MOVES + 5):
        product.take_stock(1, LATER, f"placed-{n}")
    assert len(product.stock_moves) == REMEMBERED_STOCK_MOVES
    assert product.stock_moves[-1] == f"placed-{REMEMBERED_STOCK_MOVES + 4}"
    assert "placed-0" not in product.stock_moves
