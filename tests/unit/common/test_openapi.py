"""Every service's OpenAPI says what the server applies: strict bodies, kept zero bounds, and
the problem+json refusals each operation declares."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import post
from litestar.params import JSONBody
from litestar.testing import AsyncTestClient

from fitshop_common.app import create_service_app
from fitshop_common.openapi import ProblemResponses
from fitshop_common.settings import ServiceSettings

PROBLEMS = ProblemResponses({404: "No such thing.", 422: "Invalid input."})


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    count: Annotated[int, msgspec.Meta(ge=0)] | msgspec.UnsetType = msgspec.UNSET


class Lenient(msgspec.Struct):
    name: str


@post("/strict", operation_id="strict", responses=PROBLEMS(401, 404, 422))
async def strict(data: JSONBody[Strict]) -> None:
    return None


@post("/lenient", operation_id="lenient")
async def lenient(data: JSONBody[Lenient]) -> None:
    return None


async def openapi() -> dict[str, Any]:
    app = create_service_app(settings=ServiceSettings(service_name="openapi-test"),
                             route_handlers=[strict, lenient])
    async with AsyncTestClient(app) as client:
        document: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return document


async def test_a_struct_that_forbids_unknown_fields_says_so_and_others_do_not() -> None:
    schemas = (await openapi())["components"]["schemas"]

    strict_schema = next(s for name, s in schemas.items() if name.endswith("Strict"))
    lenient_schema = next(s for name, s in schemas.items() if name.endswith("Lenient"))
    assert strict_schema["additionalProperties"] is False
    assert "additionalProperties" not in lenient_schema


async def test_a_zero_bound_on_an_optional_field_is_kept() -> None:
    schemas = (await openapi())["components"]["schemas"]

    count = next(s for name, s in schemas.items() if name.endswith("Strict"))["properties"]["count"]
    assert count["minimum"] == 0


async def test_declared_refusals_are_problem_json_with_the_services_wording() -> None:
    responses = (await openapi())["paths"]["/strict"]["post"]["responses"]

    assert responses["404"]["description"] == "No such thing."
    assert list(responses["404"]["content"]) == ["application/problem+json"]
    assert set(responses) >= {"404", "422"}


async def test_answers_every_service_gives_alike_are_worded_once_and_a_service_may_reword_them(
) -> None:
    responses = (await openapi())["paths"]["/strict"]["post"]["responses"]

    assert responses["401"]["description"] == ProblemResponses.COMMON[401]
    assert responses["422"]["description"] == "Invalid input."
