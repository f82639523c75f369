"""One error hierarchy for every service and its single mapping to RFC 9457 problem+json."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base of the errors a handler raises on purpose; each subclass is one HTTP status."""

    status = 500
    title = "Internal error"
    slug = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(AppError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class PaymentRequired(AppError):
    status, title, slug = 402, "Payment declined", "payment-declined"


class ValidationFailed(AppError):
    status, title, slug = 422, "Invalid request", "validation"


class TooManyRequests(AppError):
    status, title, slug = 429, "Too many requests", "rate-limited"


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service unavailable", "unavailable"

    def __init__(self, detail: str, *, retry_after: int, errors: list[FieldError] | None = None):
        super().__init__(detail, errors=errors, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
) -> Response[Problem]:
    title = title or _TITLES.get(status, "Error")
    body = Problem(
        type=f"https://fitshop.example/problems/{slug or title.lower().replace(' ', '-')}",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r"- at `([^`]+)`")


def _field_errors(extra: Any) -> list[FieldError]:
    """Turn Litestar/msgspec validation details into `[{field, message}]`."""
    errors: list[FieldError] = []
    for item in extra if isinstance(extra, list) else []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key") or "body")
        message = str(item.get("message", "invalid"))
        # msgspec reports paths like `$.lines[0].quantity`; clients want `lines[0].quantity`.
        field = key.removeprefix("$.").removeprefix("$")
        missing = _MISSING.search(message)
        if missing:  # name the absent field itself, not the object that lacks it
            parent = _AT.search(message)
            prefix = parent.group(1).removeprefix("$").removeprefix(".") if parent else ""
            field = f"{prefix}.{missing.group(1)}" if prefix else missing.group(1)
        errors.append(
            FieldError(field=field if field not in ("", "data") else "body", message=message)
        )
    return errors


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Problem]:
    return problem_response(
        exc.status,
        exc.detail,
        title=exc.title,
        slug=exc.slug,
        errors=exc.errors,
        headers=exc.headers,
        instance=request.url.path,
    )


def validation_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Problem]:
    errors = _field_errors(exc.extra)
    detail = str(exc.detail)
    # Litestar raises ValidationException both for undecodable JSON and for schema violations:
    # only the latter is a 422 (RFC 9110: the syntax was fine, the content was not).
    if "malformed" in detail.lower() or "decode" in detail.lower():
        return problem_response(400, detail, instance=request.url.path)
    return problem_response(
        422,
        "The request did not pass validation." if errors else detail,
        slug="validation",
        errors=errors or None,
        instance=request.url.path,
    )


def http_exception_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[Problem]:
    headers = dict(exc.headers or {})
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(
        exc.status_code, str(exc.detail), headers=headers or None, instance=request.url.path
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; it has been logged.",
        instance=request.url.path,
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    AppError: app_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "AppError",
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "MediaType",
    "NotFound",
    "PaymentRequired",
    "Problem",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
    "problem_response",
]
