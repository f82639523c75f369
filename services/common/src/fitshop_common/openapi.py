"""OpenAPI that says exactly what an API accepts and answers, the same way in every service.

`create_service_app` installs `StrictStructSchemaPlugin`; handlers declare their refusals with a
service's `ProblemResponses` table: `@get(..., responses=PROBLEMS(401, 404))`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import msgspec

# Litestar's own schema plugin for msgspec structs (not re-exported publicly in 2.x); extending
# it keeps every other detail of the generated schema identical.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.typing import FieldDefinition

from fitshop_common.errors import PROBLEM_JSON, Problem

VISIBLE = r"[^\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
"""A pattern for "not blank": one character that is not white space, with white space spelled
out rather than `\\s`, on which Python (the server) and the ECMA regexes of OpenAPI tools
disagree (U+0085, U+FEFF); `str.strip()` agrees with it."""

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"
"""Our list cursors are base64url and opaque: any such string fits the schema, and one the
service did not hand out is refused with 422."""

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Two corrections, so clients and fuzzers see the rules the server applies:

    - a struct declared `forbid_unknown_fields=True` is `additionalProperties: false` (an unknown
      field, such as the typo `stok`, is refused with 422 rather than silently ignored);
    - a zero bound (`ge=0`, `gt=0`) on an optional (`| UnsetType`) field is kept; Litestar
      drops falsy bounds when it renders a union.
    """

    def to_openapi_schema(self, field_definition: FieldDefinition,
                          schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        config = getattr(struct, "__struct_config__", None)
        if isinstance(config, msgspec.structs.StructConfig) and config.forbid_unknown_fields:
            schema.additional_properties = False
        info = msgspec.inspect.type_info(struct)
        for field in getattr(info, "fields", ()):
            prop = (schema.properties or {}).get(field.encode_name)
            kind = field.type.type if isinstance(field.type, msgspec.inspect.Metadata) else field.type
            if isinstance(prop, Schema) and isinstance(kind, msgspec.inspect.IntType):
                if kind.ge == 0 and prop.minimum is None:
                    prop.minimum = 0
                if kind.gt == 0 and prop.exclusive_minimum is None:
                    prop.exclusive_minimum = 0
        return schema


class ProblemResponses:
    """A service's problem+json answers, each with what it means there; calling it with status
    codes gives an operation's `responses=`. The answers every service gives alike are worded
    once here (`COMMON`); a service names only the rest, or overrides one."""

    COMMON = {
        400: "The body is not readable JSON.",
        401: "No valid bearer token.",
        422: "The request did not pass validation (field errors); a list cursor this service"
             " did not hand out is one.",
    }

    def __init__(self, described: Mapping[int, str]) -> None:
        self._described = {**self.COMMON, **described}

    def __call__(self, *statuses: int) -> dict[int, ResponseSpec]:
        return {status: ResponseSpec(Problem, description=self._described[status],
                                     media_type=PROBLEM_JSON)
                for status in statuses}
