"""The provider's error responses: `{"error", "message", "param"?}` with the provider's status codes."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from payment_gateway.application.errors import (
    IdempotencyKeyReused,
    InjectedFailure,
    Overloaded,
    PaymentNotCancellable,
    PaymentNotFound,
    ProviderError,
)
from payment_gateway.entrypoints.schemas import ErrorBody

log = logging.getLogger(__name__)

STATUS: dict[type[ProviderError], int] = {
    PaymentNotFound: 404,
    PaymentNotCancellable: 409,
    IdempotencyKeyReused: 422,
    InjectedFailure: 500,
    Overloaded: 503,
}


def error_response(
    status: int, code: str, message: str, *, param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    return Response(
        ErrorBody(error=code, message=message, param=param),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def provider_error_handler(_: Request[Any, Any, Any], exc: ProviderError) -> Response[ErrorBody]:
    status = next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 500)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
    return error_response(status, exc.code, exc.message, headers=headers)


_MISSING = re.compile(r"missing required field `([^`]+)`")


def _unreadable(detail: str) -> bool:
    return "malformed" in detail.lower() or "decode" in detail.lower()


_MISSING_PARAMETER = re.compile(r"Missing required (header|query) parameter '([^']+)'")
KEY_HEADER = "Idempotency-Key"


def _parameter_error(source: str, name: str, missing: bool) -> Response[ErrorBody]:
    """A missing or malformed header or query parameter makes the request unreadable: 400."""
    if name.lower() == KEY_HEADER.lower():
        if missing:
            return error_response(400, "idempotency_key_required",
                                  "The Idempotency-Key header is required.", param=KEY_HEADER)
        return error_response(400, "invalid_idempotency_key",
                              "The Idempotency-Key must be 1 to 255 visible ASCII characters, "
                              "without leading or trailing blanks.", param=KEY_HEADER)
    where = "query parameter" if source == "query" else "header"
    if missing:
        return error_response(400, "parameter_missing", f"The {where} {name} is required.", param=name)
    return error_response(400, "invalid_parameter", f"The {where} {name} is not valid.", param=name)


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    detail = str(exc.detail)
    if _unreadable(detail):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    absent = _MISSING_PARAMETER.search(detail)
    if absent:
        return _parameter_error(absent.group(1), absent.group(2), missing=True)
    first = exc.extra[0] if isinstance(exc.extra, list) and exc.extra else {}
    first = first if isinstance(first, dict) else {}
    key = str(first.get("key") or "")
    message = str(first.get("message", detail))
    raw_source = first.get("source", "")
    source = str(getattr(raw_source, "value", raw_source))  # Litestar passes a ParamType enum
    if source == "header" and key == "idempotency_key":
        return _parameter_error(source, KEY_HEADER, missing=False)
    if source in ("header", "query"):
        return _parameter_error(source, key, missing=False)
    if source == "body" and key == "data" and message == "'data'":  # no body at all
        return error_response(400, "malformed_json", "A JSON request body is required.")
    param = key.removeprefix("$.").removeprefix("$")
    missing = _MISSING.search(message)
    if missing:  # msgspec names the object lacking the field; the client wants the field
        param = missing.group(1)
    return error_response(422, "invalid_request", message, param=param if param not in ("", "data") else None)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    if exc.status_code == 400:
        # Our own 400s are ProviderErrors: a bare 400 here is the framework failing to decode JSON.
        return error_response(400, "malformed_json", f"The request body is not valid JSON: {exc.detail}")
    return error_response(
        exc.status_code, f"http_{exc.status_code}", str(exc.detail), headers=exc.headers or None
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "An internal error occurred at the payment provider.")


PROVIDER_ERROR_HANDLERS: dict[type[Exception] | int, Any] = {
    ProviderError: provider_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
