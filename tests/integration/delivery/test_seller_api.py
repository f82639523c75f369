"""The seller's HTTP API over real PostgreSQL and JetStream: queue, start, advance, errors, auth."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from nats.js import JetStreamContext

from fitshop_common.events import assert_conforms
from tests.contract.delivery.order_events import order_placed
from tests.integration.delivery.harness import (
    Running,
    customer,
    publish,
    published,
    seller,
)
from tests.support.tokens import Signer
from tests.support.waiting import eventually

API = "/api/v1/deliveries"


async def place(js: JetStreamContext, db: asyncpg.Connection, n: int = 1) -> list[str]:
    """Publish n orders and wait for their deliveries; answers delivery ids in order."""
    order_ids = []
    for _ in range(n):
        event = order_placed()
        order_ids.append(event.data["order_id"])
        await publish(js, event)

    async def all_there() -> bool:
        return await db.fetchval("SELECT count(*) FROM deliveries") >= n

    await eventually(all_there)
    rows = await db.fetch("SELECT id, order_id FROM deliveries")
    by_order = {str(r["order_id"]): str(r["id"]) for r in rows}
    return [by_order[o] for o in order_ids]


async def test_the_seller_starts_a_delivery_and_delivery_started_reaches_the_stream(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    [delivery_id] = await place(js, db)
    answer = await delivery.http.post(f"{API}/{delivery_id}/start", headers=seller(signer))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["version"]) == ("STARTED", 2)
    assert [line["name"] for line in body["lines"]] == ["DUMBBELL-10KG", "YOGA-MAT-6MM"]
    assert body["shipping_address"]["city"] == "Seoul"

    async def started_published() -> bool:
        return len(await published(js)) == 2

    await eventually(started_published)
    started = (await published(js))[-1]
    assert_conforms(started)
    assert (started.type, started.data["delivery_id"], started.data["version"]) == (
        "delivery.started", delivery_id, 2)
    assert started.data["customer_email"] == "alice@example.com"
    assert started.correlation_id == body["order_id"]


async def test_every_status_change_publishes_a_conforming_event_with_increasing_versions(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    [delivery_id] = await place(js, db)
    headers = seller(signer)
    await delivery.http.post(f"{API}/{delivery_id}/start", headers=headers)
    for status in ("IN_TRANSIT", "DELIVERED"):
        answer = await delivery.http.post(f"{API}/{delivery_id}/status",
                                          json={"status": status}, headers=headers)
        assert answer.json()["status"] == status

    async def four_published() -> bool:
        return len(await published(js)) == 4

    await eventually(four_published)
    events = await published(js)
    for event in events:
        assert_conforms(event)
    assert [(e.type, e.data["version"], e.data.get("previous_status")) for e in events] == [
        ("delivery.requested", 1, None), ("delivery.started", 2, "REQUESTED"),
        ("delivery.status_changed", 3, "STARTED"), ("delivery.status_changed", 4, "IN_TRANSIT")]


@pytest.mark.parametrize(("steps", "request_", "reason"), [
    ([], ("status", "DELIVERED"), "must be IN_TRANSIT"),
    ([], ("status", "IN_TRANSIT"), "must be STARTED"),
    (["start"], ("start", None), "Only a REQUESTED delivery can be started"),
    (["start", "IN_TRANSIT"], ("status", "IN_TRANSIT"), "already IN_TRANSIT"),
    (["start", "IN_TRANSIT", "DELIVERED"], ("status", "IN_TRANSIT"), "can no longer change"),
])
async def test_an_invalid_transition_answers_409_with_the_reason_and_changes_nothing(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer,
    steps: list[str], request_: tuple[str, str | None], reason: str,
) -> None:
    [delivery_id] = await place(js, db)
    headers = seller(signer)
    for step in steps:
        if step == "start":
            await delivery.http.post(f"{API}/{delivery_id}/start", headers=headers)
        else:
            await delivery.http.post(f"{API}/{delivery_id}/status", json={"status": step},
                                     headers=headers)
    before = (await delivery.http.get(f"{API}/{delivery_id}", headers=headers)).json()
    action, status = request_
    answer = await delivery.http.post(f"{API}/{delivery_id}/{action}", headers=headers,
                                      json={"status": status} if status else None)
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert reason in answer.json()["detail"]
    after = (await delivery.http.get(f"{API}/{delivery_id}", headers=headers)).json()
    assert after == before


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "CANCELLED"}, "status"),
    ({"status": "LOST"}, "status"),
    ({}, "status"),
    ({"status": "IN_TRANSIT", "extra": 1}, "body"),
])
async def test_a_bad_status_body_answers_422_naming_the_field(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer,
    body: dict[str, Any], field: str,
) -> None:
    [delivery_id] = await place(js, db)
    answer = await delivery.http.post(f"{API}/{delivery_id}/status", json=body,
                                      headers=seller(signer))
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["status"] == 422
    assert field in [e["field"] for e in problem["errors"]] or field == "body"


async def test_malformed_json_answers_400(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    [delivery_id] = await place(js, db)
    answer = await delivery.http.post(
        f"{API}/{delivery_id}/status", content=b"{not json",
        headers={**seller(signer), "content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["", "/start"])
async def test_an_unknown_delivery_answers_404(
    delivery: Running, signer: Signer, path: str
) -> None:
    url = f"{API}/{uuid.uuid4()}{path}"
    answer = await (delivery.http.get(url, headers=seller(signer)) if not path
                    else delivery.http.post(url, headers=seller(signer)))
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_queue_is_oldest_first_paged_by_cursor_and_filtered_by_status(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    ids = await place(js, db, 5)
    headers = seller(signer)
    await delivery.http.post(f"{API}/{ids[3]}/start", headers=headers)
    rows = await db.fetch("SELECT id FROM deliveries ORDER BY created_at, id")
    oldest_first = [str(r["id"]) for r in rows]

    first = (await delivery.http.get(API, params={"limit": 2}, headers=headers)).json()
    seen = [d["id"] for d in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await delivery.http.get(API, params={"limit": 2, "cursor": cursor},
                                        headers=headers)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
    assert seen == oldest_first

    started = (await delivery.http.get(API, params={"status": "STARTED"}, headers=headers)).json()
    assert [d["id"] for d in started["items"]] == [ids[3]]
    assert started["next_cursor"] is None
    requested = (await delivery.http.get(API, params={"status": "REQUESTED"},
                                         headers=headers)).json()
    assert len(requested["items"]) == 4


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 201}, "limit"),
    ({"limit": 0}, "limit"),
    ({"status": "LOST"}, "status"),
    ({"cursor": "not-a-cursor"}, "cursor"),
])
async def test_bad_queue_parameters_answer_422_naming_the_parameter(
    delivery: Running, signer: Signer, params: dict[str, Any], field: str
) -> None:
    answer = await delivery.http.get(API, params=params, headers=seller(signer))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in answer.json()["errors"]]


async def test_a_seller_may_use_the_api_a_customer_gets_403_and_no_token_gets_401(
    delivery: Running, db: asyncpg.Connection, js: JetStreamContext, signer: Signer
) -> None:
    [delivery_id] = await place(js, db)
    assert (await delivery.http.get(API, headers=seller(signer))).status_code == 200
    for method, path in [("GET", API), ("GET", f"{API}/{delivery_id}"),
                         ("POST", f"{API}/{delivery_id}/start")]:
        as_customer = await delivery.http.request(method, path, headers=customer(signer))
        anonymous = await delivery.http.request(method, path)
        assert as_customer.status_code == 403
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/problem+json")
    row = await db.fetchrow("SELECT status FROM deliveries WHERE id = $1", uuid.UUID(delivery_id))
    assert row is not None and row["status"] == "REQUESTED"
