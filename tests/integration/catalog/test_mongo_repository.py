"""The MongoDB adapter against the real MongoDB-wire server: versions, races, lists and search."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from nats.js import JetStreamContext

from catalog.application.errors import SkuAlreadyRegistered, VersionConflict
from catalog.application.ports import ConcurrentChange, ProductQuery
from catalog.bootstrap import Store
from catalog.domain.commands import (
    OrderLine,
    RegisterProduct,
    ReturnStockForOrder,
    TakeStockForOrder,
    UpdateProduct,
)
from catalog.domain.product import Money, ProductChanges, ProductDetails
from fitshop_common.mongo_outbox import MongoOutboxRelay

ORDER = "7b1d2f4e-3c59-4a53-8d0e-5b1f4f0a9c11"


def details(name: str = "덤벨 10kg", category: str = "weights", stock: int = 10) -> ProductDetails:
    return ProductDetails(name, "", category, Money(39_000), stock)


async def register(store: Store, sku: str, **kwargs: object) -> str:
    product = await store.service.register(RegisterProduct(sku, details(**kwargs)))  # type: ignore[arg-type]
    return product.id


async def test_a_product_reads_back_as_it_was_stored(store: Store) -> None:
    product = await store.service.register(
        RegisterProduct("DUMBBELL-10KG", ProductDetails("덤벨 10kg", "육각 덤벨", "weights", Money(39_000), 10)))
    again = await store.products.get(product.id)
    assert again == product
    assert again is not None and again.created_at.tzinfo is not None


async def test_storing_a_version_that_exists_is_refused(store: Store) -> None:
    product_id = await register(store, "DUMBBELL-10KG")
    product = await store.products.get(product_id)
    assert product is not None
    with pytest.raises(ConcurrentChange):
        await store.products.save(product, [])


async def test_concurrent_registrations_of_one_sku_store_exactly_one_product(store: Store) -> None:
    outcomes = await asyncio.gather(
        *(register(store, "KETTLEBELL-16KG", name=f"케틀벨 {i}") for i in range(12)),
        return_exceptions=True)
    winners = [o for o in outcomes if isinstance(o, str)]
    assert len(winners) == 1
    assert all(isinstance(o, SkuAlreadyRegistered) for o in outcomes if not isinstance(o, str))
    assert await store.products.revisions.count_documents({}) == 1
    assert await store.products.products.count_documents({}) == 1


async def test_concurrent_updates_on_one_version_let_exactly_one_win(store: Store) -> None:
    """FerretDB v1 loses concurrent in-place updates; revisions keep exactly one winner."""
    product_id = await register(store, "DUMBBELL-10KG")
    outcomes = await asyncio.gather(
        *(store.service.update(UpdateProduct(product_id, 1, ProductChanges(stock=100 + i)))
          for i in range(15)),
        return_exceptions=True)
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(o, VersionConflict) for o in outcomes if isinstance(o, BaseException))
    current = await store.service.get(product_id)
    assert current.version == 2 and current.stock == winners[0].stock
    view = await store.products.products.find_one({"_id": product_id})
    assert view is not None and view["version"] == 2 and view["stock"] == current.stock


async def test_concurrent_stock_moves_on_one_product_are_all_applied_once(store: Store) -> None:
    product_id = await register(store, "YOGA-MAT-8MM", name="요가매트", category="yoga", stock=100)
    commands = [TakeStockForOrder(str(uuid.uuid4()), ORDER, (OrderLine(product_id, 1),))
                for _ in range(20)]
    # every event delivered twice, all at once
    await asyncio.gather(*(store.service.take_stock_for_order(c) for c in commands + commands))
    product = await store.service.get(product_id)
    assert (product.stock, product.version) == (80, 21)
    view = await store.products.products.find_one({"_id": product_id})
    assert view is not None and (view["stock"], view["version"]) == (80, 21)
    assert await store.products.revisions.count_documents({"product_id": product_id}) == 21


async def test_an_applied_order_event_is_remembered_per_product_across_reads(store: Store) -> None:
    dumbbell = await register(store, "DUMBBELL-10KG")
    mat = await register(store, "YOGA-MAT-8MM", name="요가매트", category="yoga")
    event_id = str(uuid.uuid4())
    await store.service.take_stock_for_order(TakeStockForOrder(event_id, ORDER, (OrderLine(dumbbell, 1),)))
    stored = await store.products.get(dumbbell)
    other = await store.products.get(mat)
    assert stored is not None and event_id in stored.stock_moves
    assert other is not None and event_id not in other.stock_moves
    await store.service.return_stock_for_order(ReturnStockForOrder(event_id, ORDER, (OrderLine(dumbbell, 1),)))
    assert (await store.service.get(dumbbell)).stock == 9  # same event id: not applied again


async def test_a_read_finds_revisions_newer_than_the_view_with_their_applied_order_events(
    store: Store,
) -> None:
    product_id = await register(store, "JUMP-ROPE", name="줄넘기", category="cardio")
    placed = TakeStockForOrder(str(uuid.uuid4()), ORDER, (OrderLine(product_id, 4),))
    await store.service.take_stock_for_order(placed)
    # As if the writer of revision 2 died before refreshing the view:
    await store.products.products.update_one(
        {"_id": product_id}, {"$set": {"version": 1, "stock": 10, "stock_moves": []}})
    product = await store.products.get(product_id)
    assert product is not None and (product.version, product.stock) == (2, 6)
    assert product.stock_moves == (placed.event_id,)
    await store.service.take_stock_for_order(placed)  # redelivered: still applied once
    assert (await store.service.get(product_id)).stock == 6


async def test_pruning_drops_old_published_revisions_but_keeps_the_current_state(
    store: Store, js: JetStreamContext,
) -> None:
    product_id = await register(store, "FOAM-ROLLER-45", name="폼롤러", category="recovery")
    for version in range(1, 6):
        await store.service.update(UpdateProduct(product_id, version, ProductChanges(stock=version)))
    assert await store.products.prune(older_than=timedelta(0)) == 0  # events not yet published
    await MongoOutboxRelay(store.products.revisions, js).publish_pending()
    assert await store.products.prune(older_than=timedelta(0)) == 5  # all but the newest
    assert await store.products.prune(older_than=timedelta(minutes=10)) == 0
    product = await store.service.get(product_id)
    assert (product.version, product.stock) == (6, 5)
    await store.service.update(UpdateProduct(product_id, 6, ProductChanges(stock=42)))
    assert (await store.service.get(product_id)).version == 7


async def test_lists_page_newest_first_without_gaps_or_repeats(store: Store) -> None:
    registered = [await register(store, f"PLATE-{i:02d}KG", name=f"원판 {i}kg") for i in range(23)]
    seen: list[str] = []
    query = ProductQuery(limit=10)
    pages = 0
    while True:
        page = await store.service.list_products(query)
        seen += [p.id for p in page.items]
        pages += 1
        if page.next is None:
            break
        query = ProductQuery(limit=10, after=page.next)
    assert pages == 3
    assert seen == list(reversed(registered))


async def test_a_full_last_page_has_no_next_cursor(store: Store) -> None:
    for i in range(4):
        await register(store, f"BAND-{i}", name=f"밴드 {i}", category="accessories")
    page = await store.service.list_products(ProductQuery(limit=4))
    assert len(page.items) == 4 and page.next is None


async def test_lists_filter_by_category_and_leave_out_deleted_products(store: Store) -> None:
    from catalog.domain.commands import DeleteProduct

    await register(store, "DUMBBELL-10KG")
    mat = await register(store, "YOGA-MAT-8MM", name="요가매트 8mm", category="yoga")
    await register(store, "YOGA-BLOCK", name="요가 블록", category="yoga")
    await store.service.delete(DeleteProduct(mat))
    yoga = await store.service.list_products(ProductQuery(category="yoga"))
    assert [p.sku for p in yoga.items] == ["YOGA-BLOCK"]
    everything = await store.service.list_products(ProductQuery())
    assert {p.sku for p in everything.items} == {"DUMBBELL-10KG", "YOGA-BLOCK"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("덤벨", {"DUMBBELL-10KG", "DUMBBELL-5KG"}),
     ("벨", {"DUMBBELL-10KG", "DUMBBELL-5KG", "KETTLEBELL-16KG"}),
     ("매트", {"YOGA-MAT-8MM"}),
     ("10KG", {"DUMBBELL-10KG"}),
     ("dumbbell", {"DUMBBELL-10KG", "DUMBBELL-5KG"}),
     ("덤벨 5kg", {"DUMBBELL-5KG"}),
     ("프로틴", set()),
     ("(", set()), ("[", set()), ("*", set()), ("\\", set()), ("$^.?+|{}", set())],
)
async def test_search_finds_words_anywhere_in_the_name_or_sku(
    store: Store, text: str, expected: set[str],
) -> None:
    await register(store, "DUMBBELL-10KG", name="덤벨 10kg")
    await register(store, "DUMBBELL-5KG", name="덤벨 5kg")
    await register(store, "KETTLEBELL-16KG", name="케틀벨 16kg")
    await register(store, "YOGA-MAT-8MM", name="요가매트 8mm", category="yoga")
    found = await store.service.list_products(ProductQuery(text=text))
    assert {p.sku for p in found.items} == expected


async def test_creating_the_indexes_again_changes_nothing(store: Store) -> None:
    before = await store.products.products.index_information()
    await store.products.ensure_indexes()
    await store.products.ensure_indexes()
    assert await store.products.products.index_information() == before
    assert before["unique_sku"]["unique"] is True
    assert {"pending_outbox", "prunable"} <= set(
        await store.products.revisions.index_information())
