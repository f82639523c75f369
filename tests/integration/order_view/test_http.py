"""The "my orders" REST API on real Redis: pages, limits, cursors, ownership, and problem+json errors."""

from __future__ import annotations

import uuid

import httpx2
import pytest
from redis.asyncio import Redis

from order_view.adapters.redis_keys import Keys
from order_view.adapters.redis_views import RedisViewStore
from order_view.application.projection import Projection
from tests.contract.order_view.events import at, order_cancelled, order_placed
from tests.integration.order_view.support import bearer
from tests.support.tokens import Signer

Client = httpx2.AsyncClient


@pytest.fixture
def projection(redis: Redis) -> Projection:
    return Projection(RedisViewStore(redis, Keys()))


async def place(projection: Projection, customer: str, placed_at: str) -> str:
    order_id = str(uuid.uuid4())
    await projection.apply(order_placed(order_id, customer, placed_at=placed_at))
    return order_id


async def all_pages(client: Client, token: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/my-orders", params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["order_id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_my_orders_are_listed_newest_first_in_pages_that_cover_each_order_once(
    client: Client, projection: Projection, signer: Signer,
) -> None:
    # Three orders share one placing millisecond: the cursor must not skip or repeat them.
    times = [at(0), at(1), at(2), at(2), at(2), at(3), at(4)]
    ids = [await place(projection, "alice", t) for t in times]
    await place(projection, "bob", at(5))

    pages = await all_pages(client, signer.token("alice"), limit=2)

    flat = [order_id for page in pages for order_id in page]
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert sorted(flat) == sorted(ids)  # each once, bob's not among them
    assert flat[:2] == [ids[6], ids[5]] and flat[-1] == ids[0]
    assert set(flat[2:5]) == set(ids[2:5])


async def test_an_empty_list_has_no_next_cursor(client: Client, signer: Signer) -> None:
    response = await client.get("/api/v1/my-orders", headers=bearer(signer.token("nobody")))
    assert response.json() == {"items": [], "next_cursor": None}


async def test_the_default_page_holds_fifty(
    client: Client, projection: Projection, signer: Signer,
) -> None:
    for n in range(51):
        await place(projection, "alice", at(n))
    body = (await client.get("/api/v1/my-orders", headers=bearer(signer.token("alice")))).json()
    assert len(body["items"]) == 50 and body["next_cursor"] is not None


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": 201}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
async def test_bad_list_parameters_are_a_422_problem_naming_the_field(
    client: Client, signer: Signer, query: dict[str, object], field: str,
) -> None:
    response = await client.get("/api/v1/my-orders", params=query,
                                headers=bearer(signer.token("alice")))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_another_customer_s_order_answers_404_like_a_missing_one(
    client: Client, projection: Projection, signer: Signer,
) -> None:
    order_id = await place(projection, "alice", at(0))
    unknown_id = str(uuid.uuid4())
    theirs = await client.get(f"/api/v1/my-orders/{order_id}", headers=bearer(signer.token("bob")))
    missing = await client.get(f"/api/v1/my-orders/{unknown_id}", headers=bearer(signer.token("bob")))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"].startswith("application/problem+json")
    # Nothing tells bob that the order exists.
    assert theirs.text.replace(order_id, "ID") == missing.text.replace(unknown_id, "ID")


async def test_a_cancelled_order_shows_cancelled_and_refunded(
    client: Client, projection: Projection, signer: Signer,
) -> None:
    order_id = await place(projection, "alice", at(0))
    await projection.apply(order_cancelled(order_id, "alice", version=2, cancelled_at=at(30)))
    body = (await client.get(f"/api/v1/my-orders/{order_id}",
                             headers=bearer(signer.token("alice")))).json()
    assert (body["status"], body["payment_status"], body["updated_at"]) == (
        "CANCELLED", "REFUNDED", at(30))


async def test_an_order_id_that_is_not_a_uuid_is_a_4xx_problem(client: Client, signer: Signer) -> None:
    response = await client.get("/api/v1/my-orders/DUMBBELL-10KG", headers=bearer(signer.token("alice")))
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/api/v1/my-orders", f"/api/v1/my-orders/{uuid.uuid4()}",
                                  "/api/v1/my-orders/stream"])
async def test_without_a_token_every_route_answers_401(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_seller_token_is_refused_with_403(client: Client, signer: Signer) -> None:
    response = await client.get("/api/v1/my-orders", headers=bearer(signer.token("seller", ["seller"])))
    assert response.status_code == 403


async def test_a_token_from_an_unknown_key_is_refused_with_401(client: Client) -> None:
    response = await client.get("/api/v1/my-orders", headers=bearer(Signer().token("alice")))
    assert response.status_code == 401


async def test_the_service_reports_ready_with_redis_and_nats_up(client: Client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"redis": "up", "nats": "up"}


async def test_openapi_documents_the_three_operations(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    operations = {op["operationId"] for item in paths.values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"listMyOrders", "getMyOrder", "streamMyOrders"} <= operations
