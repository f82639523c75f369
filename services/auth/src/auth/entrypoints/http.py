"""HTTP endpoints under /auth (login form, token, revocation, sign-up, JWKS, discovery) and `create_app()`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from authlib.common.security import is_secure_transport
from litestar import Controller, Litestar, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, QueryParameter

from auth.adapters.oauth import (
    Acceptable,
    OAuthProvider,
    ProtocolRequest,
    ProtocolResponse,
    Refusal,
)
from auth.application.service import (
    AuthService,
    BadCredentials,
    LoggedIn,
    Rejected,
    SignedUp,
    UsernameTaken,
)
from auth.bootstrap import Runtime, bootstrap
from auth.domain.clients import SCOPES
from auth.domain.throttle import Throttled
from auth.entrypoints.client_address import client_address
from auth.entrypoints.pages import PAGE_HEADERS, error_page, login_page
from auth.seed import seed_demo
from fitshop_common.app import create_service_app
from fitshop_common.errors import (
    Conflict,
    FieldError,
    TooManyRequests,
    ValidationFailed,
    problem_response,
)
from fitshop_common.openapi import ProblemResponses
from fitshop_common.postgres import pool_check
from fitshop_common.settings import jwt_settings, service_settings

log = logging.getLogger(__name__)

FormBody = Annotated[dict[str, str | list[str]], Body(media_type=RequestEncodingType.URL_ENCODED)]
BAD_CREDENTIALS = "Incorrect username or password."
MISSING_CREDENTIALS = "Enter your username and password."


PROBLEMS = ProblemResponses({
    400: "Unreadable body; or, for the authorization endpoint, an unknown client, a redirect URI"
         " it does not have or missing PKCE (the `type` ends in the RFC 6749 error code). A"
         " browser (Accept: text/html) gets an error page instead.",
    409: "The username is taken.",
    422: "The account details are not acceptable (field errors).",
    429: "Too many sign-in attempts; retry after Retry-After seconds.",
})


class OAuthError(msgspec.Struct, omit_defaults=True):
    """RFC 6749 §5.2: the token and revocation endpoints answer errors in the protocol's own
    JSON, which OAuth clients parse, not problem+json."""

    error: str
    error_description: str | None = None


OAUTH_ERRORS = {
    400: ResponseSpec(OAuthError, description="invalid_request, invalid_grant, "
                      "unsupported_grant_type, invalid_scope, ...", media_type=MediaType.JSON),
    401: ResponseSpec(OAuthError, description="invalid_client: client authentication failed",
                      media_type=MediaType.JSON),
}
REDIRECT = {302: ResponseSpec(None, description="To the client's redirect_uri: with `code` and"
                              " `state` after a login, or with `error` for a request the client"
                              " should hear about (RFC 6749 §4.1.2)")}


# -- request/response glue ----------------------------------------------------------------------


def _pairs(form: Mapping[str, str | list[str]]) -> list[tuple[str, str]]:
    """Form fields as (name, value) pairs, repeats kept (Litestar folds them into lists)."""
    pairs: list[tuple[str, str]] = []
    for name, value in form.items():
        pairs.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    return pairs


def _first(form: Mapping[str, str | list[str]], name: str) -> str:
    value = form.get(name, "")
    return value[0] if isinstance(value, list) else value


def _protocol_request(request: Request[Any, Any, Any], issuer: str, endpoint: str,
                      params: Sequence[tuple[str, str]]) -> ProtocolRequest:
    # Authlib sees the public URL (behind the gateway), which is what transport checks need.
    headers = {}
    if "authorization" in request.headers:
        headers["Authorization"] = request.headers["authorization"]
    return ProtocolRequest(request.method, f"{issuer}{endpoint}", headers, params)


def _protocol_response(response: ProtocolResponse) -> Response[Any]:
    headers = {k: v for k, v in response.headers if k.lower() != "content-type"}
    if response.status in (301, 302, 303, 307):
        return Response(b"", status_code=response.status,
                        headers={**headers, "Cache-Control": "no-store"})
    return Response(response.body, status_code=response.status, headers=headers,
                    media_type=MediaType.JSON)


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    """Browsers get pages; scripts (Accept: */* or JSON) get problem+json (API.md "Errors")."""
    best = request.accept.best_match(["application/problem+json", "text/html"])
    return best == "text/html"


def _html(body: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response[str]:
    return Response(body, status_code=status, media_type=MediaType.HTML,
                    headers={**PAGE_HEADERS, **(headers or {})})


def _refused(request: Request[Any, Any, Any], refusal: Refusal) -> Response[Any]:
    if _wants_html(request):
        return _html(error_page(refusal.error, refusal.description), 400)
    return problem_response(400, refusal.description, title="Invalid authorization request",
                            slug=refusal.error, instance=request.url.path)


def _not_acceptable(request: Request[Any, Any, Any],
                    outcome: ProtocolResponse | Refusal) -> Response[Any]:
    if isinstance(outcome, Refusal):
        return _refused(request, outcome)
    return _protocol_response(outcome)


# -- dependencies ---------------------------------------------------------------------------------


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_service(state: State) -> AuthService:
    return provide_runtime(state).service


def provide_oauth(state: State) -> OAuthProvider:
    return provide_runtime(state).oauth


# -- controllers ----------------------------------------------------------------------------------


class DiscoveryController(Controller):
    """What clients and resource servers learn about this issuer without asking anyone."""

    path = "/auth"
    tags = ["discovery"]

    @get("/.well-known/openid-configuration", operation_id="getOpenidConfiguration",
         sync_to_thread=False)
    def configuration(self, runtime: NamedDependency[Runtime]) -> Response[dict[str, Any]]:
        """OpenID Connect Discovery / RFC 8414 metadata of this authorization server."""
        return Response(discovery_document(runtime.issuer),
                        headers={"Cache-Control": "public, max-age=300"})

    @get("/jwks.json", operation_id="getJwks", sync_to_thread=False)
    def jwks(self, runtime: NamedDependency[Runtime]) -> Response[dict[str, Any]]:
        """The public signing keys (RFC 7517), every key in the keys folder, newest first."""
        return Response(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


class AuthorizeController(Controller):
    """RFC 6749 §4.1 authorization endpoint: a login form, scriptable without a browser."""

    path = "/auth/authorize"
    tags = ["oauth"]

    @get(operation_id="showLoginForm", media_type=MediaType.HTML,
         responses={**REDIRECT, **PROBLEMS(400)})
    async def show(
        self,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        oauth: NamedDependency[OAuthProvider],
        response_type: Annotated[str | None, QueryParameter(description="Must be `code`.")] = None,
        client_id: Annotated[str | None, QueryParameter(description="A registered client.")] = None,
        redirect_uri: Annotated[str | None, QueryParameter(
            description="One of the client's redirect URIs, exactly.")] = None,
        code_challenge: Annotated[str | None, QueryParameter(
            description="BASE64URL(SHA-256(code_verifier)), RFC 7636.")] = None,
        code_challenge_method: Annotated[str | None, QueryParameter(
            description="Must be `S256`.")] = None,
        oauth_state: Annotated[str | None, QueryParameter(
            name="state", description="Returned unchanged with the code.")] = None,
        scope: Annotated[str | None, QueryParameter(description="Default: `shop`.")] = None,
    ) -> Response[Any]:
        """Shows the login form for a valid authorization request (response_type=code, PKCE S256)."""
        # The typed parameters above document the endpoint; the protocol reads the raw query
        # so that repeated parameters are seen and refused (RFC 6749 §3.1).
        params = list(request.query_params.multi_items())
        outcome = await oauth.check_authorization(
            _protocol_request(request, runtime.issuer, "/authorize", params))
        if not isinstance(outcome, Acceptable):
            return _not_acceptable(request, outcome)
        return _html(login_page(params, client_id=outcome.client_id))

    @post(operation_id="submitLoginForm", media_type=MediaType.HTML, status_code=200,
          responses={**REDIRECT, **PROBLEMS(400, 429)})
    async def submit(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        runtime: NamedDependency[Runtime],
        oauth: NamedDependency[OAuthProvider],
        service: NamedDependency[AuthService],
    ) -> Response[Any]:
        """Checks the credentials; 302 to redirect_uri with code and state, else the form again."""
        params = [(k, v) for k, v in _pairs(data) if k not in ("username", "password")]
        proto = _protocol_request(request, runtime.issuer, "/authorize", params)
        outcome = await oauth.check_authorization(proto)
        if not isinstance(outcome, Acceptable):
            return _not_acceptable(request, outcome)
        username, password = _first(data, "username"), _first(data, "password")
        if not username.strip() or not password:
            return _html(login_page(params, client_id=outcome.client_id,
                                    message=MISSING_CREDENTIALS, username=username))
        address = client_address(request.client.host if request.client else None,
                                 request.headers.get("x-forwarded-for"),
                                 runtime.settings.trusted_networks)
        result = await service.log_in(username, password, address)
        if isinstance(result, Throttled):
            return _throttled(request, result, params, outcome.client_id, username)
        if isinstance(result, BadCredentials):
            return _html(login_page(params, client_id=outcome.client_id,
                                    message=BAD_CREDENTIALS, username=username))
        assert isinstance(result, LoggedIn)
        issued = await oauth.authorize(proto, result.user)
        if isinstance(issued, Refusal):  # the client was removed meanwhile
            return _refused(request, issued)
        return _protocol_response(issued)


def _throttled(request: Request[Any, Any, Any], result: Throttled,
               params: Sequence[tuple[str, str]], client_id: str, username: str) -> Response[Any]:
    detail = f"Too many sign-in attempts. Try again in {result.retry_after} seconds."
    retry = {"Retry-After": str(result.retry_after)}
    if _wants_html(request):
        return _html(login_page(params, client_id=client_id, message=detail, username=username),
                     429, retry)
    raise TooManyRequests(detail, headers=retry)


class TokenController(Controller):
    """RFC 6749 §3.2 token endpoint and RFC 7009 revocation; errors in RFC 6749 §5.2 form."""

    path = "/auth"
    tags = ["oauth"]

    @post("/token", operation_id="token", status_code=200, responses=OAUTH_ERRORS)
    async def token(self, request: Request[Any, Any, Any], data: FormBody,
                    runtime: NamedDependency[Runtime],
                    oauth: NamedDependency[OAuthProvider]) -> Response[Any]:
        """Exchanges a code, a refresh token or client credentials for an access token."""
        response = await oauth.token(_protocol_request(request, runtime.issuer, "/token",
                                                       _pairs(data)))
        return _protocol_response(response)

    @post("/revoke", operation_id="revoke", status_code=200, responses=OAUTH_ERRORS)
    async def revoke(self, request: Request[Any, Any, Any], data: FormBody,
                     runtime: NamedDependency[Runtime],
                     oauth: NamedDependency[OAuthProvider]) -> Response[Any]:
        """Revokes a refresh token and every token of its grant (RFC 7009)."""
        response = await oauth.revoke(_protocol_request(request, runtime.issuer, "/revoke",
                                                        _pairs(data)))
        return _protocol_response(response)


class SignupRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64, description="3-32 of a-z 0-9 . _ -")]
    password: Annotated[str, msgspec.Meta(max_length=1024, description="8-128 characters")]
    email: Annotated[str, msgspec.Meta(max_length=320)]


class UserView(msgspec.Struct):
    id: UUID
    username: str
    email: str
    roles: list[str]


class SignupController(Controller):
    """New customer accounts."""

    path = "/auth/signup"
    tags = ["accounts"]

    @post(operation_id="signUp", status_code=201, responses=PROBLEMS(400, 409, 422))
    async def sign_up(self, data: Annotated[SignupRequest, Body(title="New customer")],
                      service: NamedDependency[AuthService]) -> UserView:
        """Creates a customer account (409 when the username is taken)."""
        result = await service.sign_up(data.username, data.email, data.password)
        if isinstance(result, UsernameTaken):
            raise Conflict(f"The username {result.username!r} is taken.")
        if isinstance(result, Rejected):
            raise ValidationFailed("The account details are not acceptable.", errors=[
                FieldError(v.field, v.message) for v in result.violations])
        assert isinstance(result, SignedUp)
        user = result.user
        return UserView(user.id, user.username, user.email, [str(r) for r in user.roles])


def discovery_document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "revocation_endpoint": f"{issuer}/revoke",
        "jwks_uri": f"{issuer}/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic",
                                                  "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic",
                                                       "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id",
                             "scope", "roles", "preferred_username", "email"],
    }


# -- the app ----------------------------------------------------------------------------------------


def create_app() -> Litestar:
    """granian --interface asgi --factory auth.entrypoints.http:create_app"""
    issuer = jwt_settings().jwt_issuer
    if not is_secure_transport(issuer):
        # Authlib refuses plain HTTP except on loopback; fail at start, not on the first login.
        raise RuntimeError(f"JWT_ISSUER {issuer} must be https (or http on loopback); "
                           "set AUTHLIB_INSECURE_TRANSPORT=1 for a plain-HTTP demo")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with bootstrap() as runtime:
            app.state.runtime = runtime
            app.state.health.add_check("postgres", pool_check(runtime.pool))
            if runtime.settings.seed_demo:
                generated = await seed_demo(runtime.service, runtime.settings,
                                            new_loadgen_secret=False)
                if generated:
                    log.warning("generated a loadgen client secret; set AUTH_LOADGEN_SECRET "
                                "to choose it", extra={"loadgen_secret": generated})
            app.state.workers.spawn("purge", _purger(runtime))
            yield

    return create_service_app(
        settings=service_settings(),
        route_handlers=[DiscoveryController, AuthorizeController, TokenController,
                        SignupController],
        lifespan=lifespan,
        description="fitshop's OAuth 2.0 authorization server.",
        dependencies={
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "service": Provide(provide_service, sync_to_thread=False),
            "oauth": Provide(provide_oauth, sync_to_thread=False),
        },
    )


def _purger(runtime: Runtime) -> Any:
    async def purge(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), runtime.settings.purge_interval_seconds)
                return
            except TimeoutError:
                pass
            try:
                await runtime.service.purge()
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("purge failed; retrying next round: %s", exc)

    return purge

