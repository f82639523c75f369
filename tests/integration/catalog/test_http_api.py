"""The catalog's REST API on real FerretDB and NATS: who may do what, and what each bad input gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from catalog.entrypoints.http import create_app
from catalog.settings import CatalogSettings
from fitshop_common.security import TokenVerifier
from fitshop_common.settings import JwtSettings, MongoSettings, NatsSettings
from tests.support.tokens import JwksServer, Signer

PROBLEM = "application/problem+json"
PRODUCT_KEYS = {"id", "sku", "name", "description", "category", "price", "stock", "oversold",
                "version", "created_at", "updated_at"}


@pytest.fixture
async def client(mongo: MongoSettings, nats_settings: NatsSettings,
                 jwks: JwksServer) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(mongo=mongo, nats=nats_settings, catalog=CatalogSettings(consume_orders=False),
                     token_verifier=TokenVerifier(JwtSettings(jwks_url=jwks.url)))
    async with AsyncTestClient(app) as c:
        yield c


@pytest.fixture
def seller(signer: Signer) -> dict[str, str]:
    return {"Authorization": "Bearer " + signer.token("sam", ["seller"])}


@pytest.fixture
def customer(signer: Signer) -> dict[str, str]:
    return {"Authorization": "Bearer " + signer.token("alice", ["customer"])}


def product(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": "DUMBBELL-10KG", "name": "덤벨 10kg", "description": "육각 덤벨",
                            "category": "weights", "price": {"amount": 39_000, "currency": "KRW"},
                            "stock": 10}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


async def create(client: AsyncTestClient[Any], headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/products", json=product(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def nothing_listed(client: AsyncTestClient[Any]) -> bool:
    return (await client.get("/api/v1/products")).json()["items"] == []


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# -- who may do what --------------------------------------------------------------------------


async def test_a_seller_registers_a_product_and_anyone_can_read_it(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    response = await client.post("/api/v1/products", json=product(), headers=seller)
    assert response.status_code == 201
    created = response.json()
    assert set(created) == PRODUCT_KEYS
    assert created["version"] == 1 and created["price"] == {"amount": 39_000, "currency": "KRW"}
    assert response.headers["location"] == f"/api/v1/products/{created['id']}"
    assert (await client.get(f"/api/v1/products/{created['id']}")).json() == created
    listed = (await client.get("/api/v1/products")).json()
    assert listed == {"items": [created], "next_cursor": None}


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/products"),
    ("PATCH", "/api/v1/products/f0b65839-3b3b-5166-8eaf-f5ceffd3fd13"),
    ("DELETE", "/api/v1/products/f0b65839-3b3b-5166-8eaf-f5ceffd3fd13"),
])
async def test_writes_without_a_token_answer_401(client: AsyncTestClient[Any], method: str, path: str) -> None:
    response = await client.request(method, path, json=product() if method != "DELETE" else None)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert await nothing_listed(client)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/v1/products"),
    ("PATCH", "/api/v1/products/f0b65839-3b3b-5166-8eaf-f5ceffd3fd13"),
    ("DELETE", "/api/v1/products/f0b65839-3b3b-5166-8eaf-f5ceffd3fd13"),
])
async def test_writes_by_a_customer_answer_403(
    client: AsyncTestClient[Any], customer: dict[str, str], method: str, path: str,
) -> None:
    response = await client.request(method, path, json=product() if method != "DELETE" else None,
                                    headers=customer)
    assert_problem(response, 403)
    assert await nothing_listed(client)


async def test_a_token_from_an_unknown_key_or_expired_answers_401(
    client: AsyncTestClient[Any], signer: Signer,
) -> None:
    stranger = Signer()
    for token in (stranger.token("sam", ["seller"]), signer.token("sam", ["seller"], exp=1_000_000)):
        response = await client.post("/api/v1/products", json=product(),
                                     headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401)
    assert await nothing_listed(client)


# -- registering --------------------------------------------------------------------------------


async def test_registering_a_sku_twice_answers_409(client: AsyncTestClient[Any], seller: dict[str, str]) -> None:
    await create(client, seller)
    response = await client.post("/api/v1/products", json=product(sku="dumbbell-10kg", name="다른 덤벨"),
                                 headers=seller)
    assert_problem(response, 409)
    assert len((await client.get("/api/v1/products")).json()["items"]) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"sku": ""}, "sku"), ({"sku": "HAS SPACE"}, "sku"), ({"sku": "X" * 41}, "sku"), ({"sku": ...}, "sku"),
     ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 101}, "name"), ({"name": 7}, "name"),
     ({"description": "x" * 2001}, "description"),
     ({"category": "Weights!"}, "category"), ({"category": ...}, "category"),
     ({"price": {"amount": 0, "currency": "KRW"}}, "price.amount"),
     ({"price": {"amount": -1, "currency": "KRW"}}, "price.amount"),
     ({"price": {"amount": 10.5, "currency": "KRW"}}, "price.amount"),
     ({"price": {"amount": 100_000_001, "currency": "KRW"}}, "price.amount"),
     ({"price": {"amount": 1000, "currency": "USD"}}, "price.currency"),
     ({"price": 39_000}, "price"), ({"price": ...}, "price"),
     ({"stock": -1}, "stock"), ({"stock": 1_000_001}, "stock"), ({"stock": "many"}, "stock"),
     ({"version": 3}, "body")],
)
async def test_an_invalid_product_answers_422_naming_the_field_and_stores_nothing(
    client: AsyncTestClient[Any], seller: dict[str, str], changes: dict[str, Any], field: str,
) -> None:
    response = await client.post("/api/v1/products", json=product(**changes), headers=seller)
    body = assert_problem(response, 422)
    assert field in {e["field"] for e in body["errors"]}, body
    assert await nothing_listed(client)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [(b'{"sku": "A",', "application/json", 400),
     (b"[]", "application/json", 422),
     (b"null", "application/json", 422),
     (b"sku=A", "application/x-www-form-urlencoded", 400)],
)
async def test_an_unreadable_body_answers_4xx_problem_json(
    client: AsyncTestClient[Any], seller: dict[str, str], content: bytes, content_type: str, status: int,
) -> None:
    response = await client.post("/api/v1/products", content=content,
                                 headers={**seller, "content-type": content_type})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.status_code == status or content_type != "application/json"
    assert await nothing_listed(client)


async def test_a_body_over_one_mebibyte_answers_413(client: AsyncTestClient[Any], seller: dict[str, str]) -> None:
    response = await client.post("/api/v1/products", json=product(description="x" * (1024 * 1024 + 10)),
                                 headers=seller)
    assert_problem(response, 413)
    assert await nothing_listed(client)


# -- updating -----------------------------------------------------------------------------------


async def test_a_patch_on_the_current_version_changes_only_the_given_fields(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    created = await create(client, seller)
    response = await client.patch(f"/api/v1/products/{created['id']}", headers=seller,
                                  json={"version": 1, "price": {"amount": 35_000}, "stock": 3})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["version"], updated["price"]["amount"], updated["stock"]) == (2, 35_000, 3)
    assert (updated["name"], updated["created_at"]) == (created["name"], created["created_at"])
    assert (await client.get(f"/api/v1/products/{created['id']}")).json() == updated


async def test_a_patch_on_a_stale_version_answers_409_and_changes_nothing(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    created = await create(client, seller)
    await client.patch(f"/api/v1/products/{created['id']}", json={"version": 1, "stock": 3}, headers=seller)
    response = await client.patch(f"/api/v1/products/{created['id']}", json={"version": 1, "stock": 99},
                                  headers=seller)
    assert "version 2" in assert_problem(response, 409)["detail"]
    assert (await client.get(f"/api/v1/products/{created['id']}")).json()["stock"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [({"stock": 3}, "version"), ({"version": 0, "stock": 3}, "version"),
     ({"version": 1, "sku": "OTHER"}, "body"), ({"version": 1, "price": {"amount": 0}}, "price.amount"),
     ({"version": 1, "name": None}, "name"), ({"version": 1, "name": " "}, "name"),
     ({"version": 1, "stock": -5}, "stock"), ({"version": 1, "category": "A B"}, "category")],
)
async def test_an_invalid_patch_answers_422_naming_the_field_and_changes_nothing(
    client: AsyncTestClient[Any], seller: dict[str, str], body: dict[str, Any], field: str,
) -> None:
    created = await create(client, seller)
    response = await client.patch(f"/api/v1/products/{created['id']}", json=body, headers=seller)
    problem = assert_problem(response, 422)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert (await client.get(f"/api/v1/products/{created['id']}")).json() == created


@pytest.mark.parametrize("product_id", ["f0b65839-3b3b-5166-8eaf-f5ceffd3fd13", "not-a-uuid", "%00"])
async def test_an_unknown_product_answers_404(
    client: AsyncTestClient[Any], seller: dict[str, str], product_id: str,
) -> None:
    assert_problem(await client.get(f"/api/v1/products/{product_id}"), 404)
    assert_problem(await client.patch(f"/api/v1/products/{product_id}", json={"version": 1, "stock": 1},
                                      headers=seller), 404)
    assert_problem(await client.delete(f"/api/v1/products/{product_id}", headers=seller), 404)


# -- deleting -----------------------------------------------------------------------------------


async def test_a_deleted_product_is_gone_and_cannot_be_updated_or_deleted_again(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    created = await create(client, seller)
    response = await client.delete(f"/api/v1/products/{created['id']}", headers=seller)
    assert response.status_code == 204 and response.content == b""
    assert_problem(await client.get(f"/api/v1/products/{created['id']}"), 404)
    assert_problem(await client.patch(f"/api/v1/products/{created['id']}", json={"version": 2, "stock": 1},
                                      headers=seller), 404)
    assert_problem(await client.delete(f"/api/v1/products/{created['id']}", headers=seller), 404)
    assert await nothing_listed(client)


# -- listing ------------------------------------------------------------------------------------


async def test_the_list_pages_with_next_cursor_newest_first(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    skus = [(await create(client, seller, sku=f"BAND-{i}", name=f"밴드 {i}"))["sku"] for i in range(5)]
    first = (await client.get("/api/v1/products", params={"limit": 2})).json()
    second = (await client.get("/api/v1/products", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get("/api/v1/products", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    listed = [p["sku"] for page in (first, second, third) for p in page["items"]]
    assert listed == list(reversed(skus))
    assert third["next_cursor"] is None


async def test_the_list_filters_by_category_and_searches_words(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    await create(client, seller)
    await create(client, seller, sku="YOGA-MAT-8MM", name="요가매트 8mm", category="yoga")
    by_category = (await client.get("/api/v1/products", params={"category": "yoga"})).json()
    by_words = (await client.get("/api/v1/products", params={"q": "덤벨"})).json()
    assert [p["sku"] for p in by_category["items"]] == ["YOGA-MAT-8MM"]
    assert [p["sku"] for p in by_words["items"]] == ["DUMBBELL-10KG"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "ten"}, "limit"),
     ({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": "W10"}, "cursor"),
     ({"category": "Not A Slug"}, "category"), ({"q": "x" * 101}, "q")],
)
async def test_bad_list_parameters_answer_422_naming_them(
    client: AsyncTestClient[Any], params: dict[str, Any], field: str,
) -> None:
    problem = assert_problem(await client.get("/api/v1/products", params=params), 422)
    assert field in {e["field"] for e in problem["errors"]}, problem


async def test_the_default_page_is_fifty_and_two_hundred_is_allowed(
    client: AsyncTestClient[Any], seller: dict[str, str],
) -> None:
    for i in range(51):
        await create(client, seller, sku=f"SHAKER-{i}", name=f"쉐이커 {i}", category="accessories")
    default = (await client.get("/api/v1/products")).json()
    widest = (await client.get("/api/v1/products", params={"limit": 200})).json()
    assert len(default["items"]) == 50 and default["next_cursor"] is not None
    assert len(widest["items"]) == 51 and widest["next_cursor"] is None


async def test_health_and_openapi_are_served(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/health/ready")).json()["checks"] == {"mongo": "up", "nats": "up"}
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/v1/products", "/api/v1/products/{product_id}"} <= set(paths)
