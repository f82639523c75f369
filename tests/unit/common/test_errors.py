"""Every error a handler raises maps to one problem+json status, and framework errors do too."""

from __future__ import annotations

from typing import Annotated

import msgspec
import pytest
from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient

from fitshop_common.app import create_service_app
from fitshop_common.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PaymentRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from fitshop_common.settings import ServiceSettings


class Line(msgspec.Struct):
    product_id: str
    quantity: Annotated[int, msgspec.Meta(gt=0)]


class PlaceBody(msgspec.Struct):
    lines: list[Line]


RAISED: dict[str, AppError] = {
    "bad": BadRequest("odd"),
    "unauthorized": Unauthorized(),
    "forbidden": Forbidden("sellers only"),
    "missing": NotFound("no such order"),
    "conflict": Conflict("stale version"),
    "declined": PaymentRequired("card declined"),
    "invalid": ValidationFailed("nope"),
    "limited": TooManyRequests("slow down"),
    "busy": ServiceUnavailable("payment is busy", retry_after=7),
}


@get("/raise/{name:str}")
async def raise_named(name: FromPath[str]) -> None:
    raise RAISED[name]


@get("/crash")
async def crash() -> None:
    raise RuntimeError("a bug")


@post("/lines")
async def take_lines(data: JSONBody[PlaceBody]) -> dict[str, int]:
    return {"lines": len(data.lines)}


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    app = create_service_app(
        settings=ServiceSettings(service_name="errors-test", max_body_bytes=1024),
        route_handlers=[raise_named, crash, take_lines],
    )
    async with AsyncTestClient(app) as c:
        yield c


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("bad", 400),
        ("unauthorized", 401),
        ("forbidden", 403),
        ("missing", 404),
        ("conflict", 409),
        ("declined", 402),
        ("invalid", 422),
        ("limited", 429),
        ("busy", 503),
    ],
)
async def test_each_app_error_answers_its_status_as_problem_json(client, name, status) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["detail"] == RAISED[name].detail
    assert body["type"].startswith("https://")
    assert body["instance"] == f"/raise/{name}"


async def test_unavailable_says_when_to_retry(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/raise/busy")
    assert response.headers["retry-after"] == "7"


async def test_unauthorized_challenges_for_a_bearer_token(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/raise/unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_bug_is_a_problem_500_without_internals(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "a bug" not in response.text


async def test_schema_violation_is_422_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/lines", json={"lines": [{"product_id": "DUMBBELL-10KG", "quantity": 0}]}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "lines[0].quantity", "message": "Expected `int` >= 1"}
    ]


async def test_missing_field_is_422_naming_the_missing_field(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/lines", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"


async def test_malformed_json_is_400(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/lines", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_body_over_the_limit_is_413(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/lines", content=b"x" * 2048, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "status"), [("get", "/nowhere", 404), ("delete", "/lines", 405)]
)
async def test_routing_errors_are_problem_json(client, method, path, status) -> None:  # type: ignore[no-untyped-def]
    response = await getattr(client, method)(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
