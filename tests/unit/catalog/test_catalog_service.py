"""The catalog's use cases over a fake repository: commands, events, conflicts, idempotent stock."""

from __future__ import annotations

import asyncio

import pytest

from catalog.application.errors import ProductNotFound, SkuAlreadyRegistered, VersionConflict
from catalog.application.ports import ProductQuery
from catalog.application.service import CatalogService
from catalog.domain.commands import (
    DeleteProduct,
    OrderLine,
    RegisterProduct,
    ReturnStockForOrder,
    TakeStockForOrder,
    UpdateProduct,
)
from catalog.domain.product import (
    InvalidProduct,
    Money,
    ProductChanges,
    ProductDetails,
    product_id_for,
)
from fitshop_common.events import assert_conforms
from tests.unit.catalog.fakes import FakeProductRepository, TickingClock

ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"
PLACED_EVENT = "0d6f1c9e-2b7a-4f3e-9c51-8a4e2d7b6f10"
CANCELLED_EVENT = "5c2e9a7b-1d4f-4b8e-a3c6-9f0e1d2c3b4a"


def details(name: str = "덤벨 10kg", stock: int = 10, category: str = "weights") -> ProductDetails:
    return ProductDetails(name, "육각 덤벨", category, Money(39_000), stock)


@pytest.fixture
def products() -> FakeProductRepository:
    return FakeProductRepository()


@pytest.fixture
def catalog(products: FakeProductRepository) -> CatalogService:
    return CatalogService(products, TickingClock())


async def register(catalog: CatalogService, sku: str = "DUMBBELL-10KG", **kwargs: object) -> str:
    return (await catalog.register(RegisterProduct(sku, details(**kwargs)))).id  # type: ignore[arg-type]


async def test_registering_stores_the_product_with_a_conforming_product_registered_event(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    product_id = await register(catalog)
    [event] = products.events()
    assert event.type == "product.registered" and event.producer == "catalog"
    assert event.correlation_id == product_id
    assert event.data["price"] == {"amount": 39_000, "currency": "KRW"}
    assert_conforms(event)


async def test_registering_a_sku_twice_is_refused(catalog: CatalogService) -> None:
    await register(catalog, "YOGA-MAT-8MM", name="요가매트")
    with pytest.raises(SkuAlreadyRegistered):
        await register(catalog, "yoga-mat-8mm", name="다른 요가매트")


async def test_registering_an_invalid_product_stores_nothing(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    with pytest.raises(InvalidProduct):
        await register(catalog, stock=-1)
    assert products.revisions == {}


async def test_an_update_publishes_a_conforming_product_updated_with_the_full_state(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    product_id = await register(catalog)
    updated = await catalog.update(UpdateProduct(product_id, 1, ProductChanges(stock=4)))
    assert updated.version == 2 and updated.stock == 4
    event = products.events()[-1]
    assert event.type == "product.updated" and event.data["stock"] == 4 and event.data["version"] == 2
    assert event.data["name"] == "덤벨 10kg"
    assert_conforms(event)


async def test_an_update_on_a_stale_version_is_a_version_conflict(catalog: CatalogService) -> None:
    product_id = await register(catalog)
    await catalog.update(UpdateProduct(product_id, 1, ProductChanges(stock=4)))
    with pytest.raises(VersionConflict):
        await catalog.update(UpdateProduct(product_id, 1, ProductChanges(stock=9)))


async def test_an_update_losing_a_race_to_another_replica_is_a_version_conflict(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    product_id = await register(catalog)

    other_replica = CatalogService(products, TickingClock())

    async def other_writer_wins() -> None:
        products.before_save.clear()
        await other_replica.update(UpdateProduct(product_id, 1, ProductChanges(name="덤벨 10kg 세일")))

    products.before_save.append(other_writer_wins)
    with pytest.raises(VersionConflict):
        await catalog.update(UpdateProduct(product_id, 1, ProductChanges(stock=1)))
    assert (await catalog.get(product_id)).name == "덤벨 10kg 세일"


async def test_an_update_that_changes_nothing_publishes_nothing(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    product_id = await register(catalog)
    same = await catalog.update(UpdateProduct(product_id, 1, ProductChanges(stock=10)))
    assert same.version == 1 and len(products.events()) == 1


async def test_deleting_publishes_product_deleted_and_the_product_is_gone(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    product_id = await register(catalog)
    await catalog.delete(DeleteProduct(product_id))
    event = products.events()[-1]
    assert event.type == "product.deleted" and event.data == {
        "product_id": product_id, "sku": "DUMBBELL-10KG", "version": 2}
    assert_conforms(event)
    with pytest.raises(ProductNotFound):
        await catalog.get(product_id)
    with pytest.raises(ProductNotFound):
        await catalog.update(UpdateProduct(product_id, 2, ProductChanges(stock=1)))
    with pytest.raises(ProductNotFound):
        await catalog.delete(DeleteProduct(product_id))


async def test_a_deleted_products_sku_registers_again_under_the_same_id(catalog: CatalogService) -> None:
    product_id = await register(catalog)
    await catalog.delete(DeleteProduct(product_id))
    again = await catalog.register(RegisterProduct("DUMBBELL-10KG", details(stock=2)))
    assert again.id == product_id and again.version == 3 and again.stock == 2


async def test_an_unknown_product_is_not_found(catalog: CatalogService) -> None:
    with pytest.raises(ProductNotFound):
        await catalog.get(product_id_for("NEVER-REGISTERED"))


async def test_lists_filter_by_category_and_words(catalog: CatalogService) -> None:
    await register(catalog, "DUMBBELL-10KG", name="덤벨 10kg")
    await register(catalog, "YOGA-MAT-8MM", name="요가매트 8mm", category="yoga")
    await register(catalog, "KETTLEBELL-16KG", name="케틀벨 16kg")
    weights = await catalog.list_products(ProductQuery(category="weights"))
    assert [p.sku for p in weights.items] == ["KETTLEBELL-16KG", "DUMBBELL-10KG"]
    found = await catalog.list_products(ProductQuery(text="매트"))
    assert [p.sku for p in found.items] == ["YOGA-MAT-8MM"]


# -- stock from order events -------------------------------------------------------------------


def placed(*lines: tuple[str, int], event_id: str = PLACED_EVENT) -> TakeStockForOrder:
    return TakeStockForOrder(event_id, ORDER, tuple(OrderLine(p, q) for p, q in lines))


def cancelled(*lines: tuple[str, int], event_id: str = CANCELLED_EVENT) -> ReturnStockForOrder:
    return ReturnStockForOrder(event_id, ORDER, tuple(OrderLine(p, q) for p, q in lines))


async def test_a_paid_order_takes_its_units_and_publishes_the_new_stock(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    dumbbell = await register(catalog, stock=10)
    mat = await register(catalog, "YOGA-MAT-8MM", name="요가매트", stock=5, category="yoga")
    await catalog.take_stock_for_order(placed((dumbbell, 2), (mat, 1), (dumbbell, 1)))
    assert (await catalog.get(dumbbell)).stock == 7  # two lines of one product add up
    assert (await catalog.get(mat)).stock == 4
    stock_events = [e for e in products.events() if e.type == "product.updated"]
    assert len(stock_events) == 2
    for event in stock_events:
        assert event.correlation_id == ORDER and event.causation_id == PLACED_EVENT
        assert_conforms(event)


async def test_the_same_order_event_twice_takes_the_units_once(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    dumbbell = await register(catalog, stock=10)
    await catalog.take_stock_for_order(placed((dumbbell, 3)))
    again = await catalog.take_stock_for_order(placed((dumbbell, 3)))
    assert again == []
    assert (await catalog.get(dumbbell)).stock == 7
    assert len(products.events()) == 2  # registered + one stock update


async def test_a_second_order_event_is_applied_even_with_the_same_lines(catalog: CatalogService) -> None:
    dumbbell = await register(catalog, stock=10)
    await catalog.take_stock_for_order(placed((dumbbell, 3)))
    await catalog.take_stock_for_order(placed((dumbbell, 3), event_id="9a8b7c6d-0000-4000-8000-000000000001"))
    assert (await catalog.get(dumbbell)).stock == 4


async def test_a_cancelled_order_gives_its_units_back_once(catalog: CatalogService) -> None:
    dumbbell = await register(catalog, stock=10)
    await catalog.take_stock_for_order(placed((dumbbell, 3)))
    await catalog.return_stock_for_order(cancelled((dumbbell, 3)))
    await catalog.return_stock_for_order(cancelled((dumbbell, 3)))
    assert (await catalog.get(dumbbell)).stock == 10


async def test_an_order_beyond_stock_is_recorded_as_oversold_and_published_as_zero_stock(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    dumbbell = await register(catalog, stock=2)
    [movement] = await catalog.take_stock_for_order(placed((dumbbell, 5)))
    assert movement.oversold == 3
    product = await catalog.get(dumbbell)
    assert (product.stock, product.oversold) == (0, 3)
    event = products.events()[-1]
    assert event.data["stock"] == 0
    assert_conforms(event)


async def test_stock_moves_for_unknown_or_deleted_products_are_skipped(catalog: CatalogService) -> None:
    gone = await register(catalog, "JUMP-ROPE", name="줄넘기", category="cardio")
    await catalog.delete(DeleteProduct(gone))
    kept = await register(catalog, stock=10)
    moved = await catalog.take_stock_for_order(
        placed((product_id_for("NEVER-REGISTERED"), 1), (gone, 1), (kept, 1)))
    assert [m.product_id for m in moved] == [kept]


async def test_a_stock_move_losing_a_race_to_another_replica_retries_on_the_newer_state(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    dumbbell = await register(catalog, stock=10)

    other_replica = CatalogService(products, TickingClock())

    async def seller_changes_price_meanwhile() -> None:
        products.before_save.clear()
        await other_replica.update(UpdateProduct(dumbbell, 1, ProductChanges(price=Money(35_000))))

    products.before_save.append(seller_changes_price_meanwhile)
    await catalog.take_stock_for_order(placed((dumbbell, 4)))
    product = await catalog.get(dumbbell)
    assert (product.stock, product.price.amount, product.version) == (6, 35_000, 3)


async def test_writes_to_one_product_in_one_process_take_turns(
    catalog: CatalogService, products: FakeProductRepository,
) -> None:
    dumbbell = await register(catalog, stock=100)
    lost_races = 0
    original = products.save

    async def counting_save(product: object, events: object) -> None:
        nonlocal lost_races
        await asyncio.sleep(0)  # let the other writers run, as real I/O would
        try:
            await original(product, events)  # type: ignore[arg-type]
        except Exception:
            lost_races += 1
            raise

    products.save = counting_save  # type: ignore[method-assign]
    await asyncio.gather(*(catalog.take_stock_for_order(placed((dumbbell, 1), event_id=f"e-{i}"))
                           for i in range(10)))
    assert (await catalog.get(dumbbell)).stock == 90
    assert lost_races == 0
