"""The REST adapter over fakes of the ports: every outcome and every bad input gets its status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings
from orders.application.ports import Unavailable
from orders.domain.commands import FollowDelivery
from orders.domain.order import DeliveryStatus
from orders.entrypoints.http import create_app
from tests.support.tokens import AUDIENCE, ISSUER, JwksServer, Signer
from tests.unit.orders.fakes import (
    DUMBBELL_ID,
    KETTLEBELL_ID,
    SOLD_OUT_ROPE_ID,
    World,
    make_world,
)

SIGNER = Signer()


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(SIGNER).running() as server:
        yield server


@pytest.fixture(scope="module")
async def served(jwks: JwksServer) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """One app for the module (building it is the slow part); each test brings its own world."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        yield

    verifier = TokenVerifier(JwtSettings(jwks_url=jwks.url, jwt_issuer=ISSUER,
                                         jwt_audience=AUDIENCE))
    app = create_app(lifespan=lifespan, token_verifier=verifier)
    async with AsyncTestClient(app) as client:
        yield client
    await verifier.aclose()


@pytest.fixture
def api(served: AsyncTestClient[Litestar]) -> tuple[AsyncTestClient[Litestar], World]:
    world = make_world()
    served.app.state.orders = world.service
    return served, world


def auth(sub: str = "alice", roles: list[str] | None = None, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {SIGNER.token(sub, roles or ['customer'], **claims)}"}


def body(*lines: tuple[str, int], card: str = "4242424242424242") -> dict[str, Any]:
    return {
        "lines": [{"product_id": p, "quantity": q} for p, q in lines],
        "shipping_address": {"recipient": "Kim Minji", "line1": "12 Teheran-ro", "city": "Seoul",
                             "postal_code": "06236", "phone": "010-1234-5678"},
        "payment": {"method": "card", "card_number": card},
    }


async def test_placing_an_order_answers_201_with_the_placed_order(api: Any) -> None:
    client, world = api
    response = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 2)),
                                  headers=auth(email="alice@example.com"))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PLACED"
    assert order["total"] == {"amount": 70_000, "currency": "KRW"}
    assert order["payment"]["status"] == "APPROVED" and order["payment"]["card_last4"] == "4242"
    assert response.headers["location"] == f"/api/v1/orders/{order['id']}"
    assert world.store.outbox[0].data["customer_email"] == "alice@example.com"


async def test_english_speaking_customers_get_english_messages(api: Any) -> None:
    client, world = api
    headers = {**auth(), "Accept-Language": "en-US,en;q=0.9"}
    assert (await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 1)),
                              headers=headers)).status_code == 201
    assert world.store.outbox[0].data["locale"] == "en"


async def test_a_declined_card_answers_402_problem_with_the_order_location(api: Any) -> None:
    client, _ = api
    response = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 1),
                                                             card="4000000000000002"),
                                 headers=auth())
    assert response.status_code == 402
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "declined" in response.json()["detail"]
    order = await client.get(response.headers["location"], headers=auth())
    assert order.json()["status"] == "PAYMENT_DECLINED"


async def test_busy_payment_answers_503_with_retry_after_and_a_friendly_problem(api: Any) -> None:
    client, world = api
    world.gateway.next_charges = [Unavailable("overloaded", retry_after=4)]
    response = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 1)), headers=auth())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "4"
    problem = response.json()
    assert problem["detail"] == "Payment is busy, please retry shortly."
    assert problem["status"] == 503 and problem["type"].endswith("/unavailable")


async def test_unavailable_products_answer_409_naming_each_line(api: Any) -> None:
    client, _ = api
    response = await client.post("/api/v1/orders",
                                 json=body((DUMBBELL_ID, 1), (SOLD_OUT_ROPE_ID, 1),
                                           (KETTLEBELL_ID, 50)), headers=auth())
    assert response.status_code == 409
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {"lines[1].product_id": "Jump rope is out of stock",
                      "lines[2].product_id": "only 5 of Kettlebell 16 kg in stock, 50 asked"}


async def test_the_same_idempotency_key_replays_and_another_body_is_422(api: Any) -> None:
    client, world = api
    headers = {**auth(), "Idempotency-Key": "checkout-2026-11-25"}
    first = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 1)), headers=headers)
    again = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 1)), headers=headers)
    other = await client.post("/api/v1/orders", json=body((DUMBBELL_ID, 3)), headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert first.json()["id"] == again.json()["id"]
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(world.gateway.charges) == 1


GOOD = body((DUMBBELL_ID, 1))
BAD_BODIES: list[tuple[str, Any]] = [
    ("no lines", {**GOOD, "lines": []}),
    ("zero quantity", {**GOOD, "lines": [{"product_id": DUMBBELL_ID, "quantity": 0}]}),
    ("fractional quantity", {**GOOD, "lines": [{"product_id": DUMBBELL_ID, "quantity": 1.5}]}),
    ("huge quantity", {**GOOD, "lines": [{"product_id": DUMBBELL_ID, "quantity": 10**12}]}),
    ("product id not a uuid", {**GOOD, "lines": [{"product_id": "DUMBBELL-10KG", "quantity": 1}]}),
    ("same product twice", {**GOOD, "lines": [{"product_id": DUMBBELL_ID, "quantity": 1}] * 2}),
    ("card too short", {**GOOD, "payment": {"method": "card", "card_number": "4242"}}),
    ("card with letters", {**GOOD, "payment": {"method": "card", "card_number": "4242x" * 3 + "4"}}),
    ("not a card", {**GOOD, "payment": {"method": "cash", "card_number": "4242424242424242"}}),
    ("blank recipient", {**GOOD, "shipping_address": {**GOOD["shipping_address"], "recipient": "  "}}),
    # white space to Python only (U+0085) or to JSON Schema's ECMA regexes only (U+FEFF)
    ("next-line city", {**GOOD, "shipping_address": {**GOOD["shipping_address"], "city": "\x85"}}),
    ("byte-order-mark city", {**GOOD, "shipping_address": {**GOOD["shipping_address"], "city": "\ufeff"}}),
    ("no address", {k: v for k, v in GOOD.items() if k != "shipping_address"}),
    ("lines not a list", {**GOOD, "lines": "dumbbell"}),
    ("array body", [GOOD]),
    ("null body", None),
    ("too many lines", {**GOOD, "lines": [{"product_id": f"0b5e7a52-2f37-4a0e-9d7c-{i:012d}",
                                           "quantity": 1} for i in range(51)]}),
]


@pytest.mark.parametrize(("case", "payload"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
async def test_every_bad_body_is_a_422_problem_and_nothing_is_stored(api: Any, case: str,
                                                                     payload: Any) -> None:
    client, world = api
    response = await client.post("/api/v1/orders", json=payload, headers=auth())
    assert response.status_code == 422, (case, response.text)
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 422 and problem["detail"]
    assert world.store.orders == {} and world.gateway.charges == []


async def test_unknown_fields_are_ignored_as_the_openapi_schema_allows(api: Any) -> None:
    client, _ = api
    response = await client.post("/api/v1/orders", json={**GOOD, "coupon": "FREE"}, headers=auth())
    assert response.status_code == 201


@pytest.mark.parametrize("raw", [b"{", b"not json", b"\xff\xfe", b""])
async def test_unreadable_json_is_a_4xx_problem(api: Any, raw: bytes) -> None:
    client, world = api
    response = await client.post("/api/v1/orders", content=raw,
                                 headers={**auth(), "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert world.store.orders == {}


async def test_an_overlong_idempotency_key_is_refused(api: Any) -> None:
    client, _ = api
    response = await client.post("/api/v1/orders", json=GOOD,
                                 headers={**auth(), "Idempotency-Key": "k" * 256})
    assert response.status_code in (400, 422)


async def test_without_a_token_is_401_and_a_seller_cannot_order(api: Any) -> None:
    client, _ = api
    assert (await client.post("/api/v1/orders", json=GOOD)).status_code == 401
    seller = await client.post("/api/v1/orders", json=GOOD, headers=auth("seller-1", ["seller"]))
    assert seller.status_code == 403


async def test_another_customers_order_is_404_but_a_seller_sees_it(api: Any) -> None:
    client, _ = api
    placed = (await client.post("/api/v1/orders", json=GOOD, headers=auth())).json()
    path = f"/api/v1/orders/{placed['id']}"
    assert (await client.get(path, headers=auth("bob"))).status_code == 404
    assert (await client.get(path, headers=auth("seller-1", ["seller"]))).status_code == 200
    assert (await client.post(path + "/cancel", headers=auth("bob"))).status_code == 404
    assert (await client.get("/api/v1/orders/not-a-uuid", headers=auth())).status_code == 404


async def test_cancel_answers_the_cancelled_order_and_is_409_once_delivered(api: Any) -> None:
    client, world = api
    first = (await client.post("/api/v1/orders", json=GOOD, headers=auth())).json()
    cancelled = await client.post(f"/api/v1/orders/{first['id']}/cancel", headers=auth())
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    again = await client.post(f"/api/v1/orders/{first['id']}/cancel", headers=auth())
    assert again.status_code == 200 and again.json()["status"] == "CANCELLED"

    second = (await client.post("/api/v1/orders", json=GOOD, headers=auth())).json()
    await world.service.follow_delivery(FollowDelivery(
        "e-1", second["id"], "d0000000-0000-4000-8000-000000000001", DeliveryStatus.DELIVERED, 4))
    refused = await client.post(f"/api/v1/orders/{second['id']}/cancel", headers=auth())
    assert refused.status_code == 409
    assert "delivered" in refused.json()["detail"]


async def test_my_orders_are_listed_newest_first_with_a_cursor(api: Any) -> None:
    client, world = api
    ids = []
    for _ in range(3):
        ids.append((await client.post("/api/v1/orders", json=GOOD, headers=auth())).json()["id"])
        world.clock.advance(1)
    page = (await client.get("/api/v1/orders", params={"limit": 2}, headers=auth())).json()
    rest = (await client.get("/api/v1/orders", params={"limit": 2, "cursor": page["next_cursor"]},
                             headers=auth())).json()
    assert [o["id"] for o in page["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert (await client.get("/api/v1/orders", headers=auth("bob"))).json()["items"] == []


@pytest.mark.parametrize("params", [{"limit": 201}, {"limit": 0}, {"limit": "many"},
                                    {"cursor": "garbage!"}])
async def test_bad_list_parameters_are_422(api: Any, params: dict[str, Any]) -> None:
    client, _ = api
    response = await client.get("/api/v1/orders", params=params, headers=auth())
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
