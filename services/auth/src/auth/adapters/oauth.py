"""The OAuth 2.0 protocol engine: Authlib's RFC 6749 grants, RFC 7636 PKCE and RFC 7009 revocation,
with fitshop's storage (an `OAuthSession`) behind Authlib's hooks.

Authlib's server is synchronous and framework-agnostic. Each call runs in a worker thread;
every hook that needs the database hops back onto the event loop (`anyio.from_thread.run`),
so one request's reads and writes share one transaction and the loop never blocks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio.from_thread
import anyio.to_thread
from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

from auth.application.service import AuthService, OAuthSession, new_secret
from auth.domain.accounts import User
from auth.domain.clients import SCOPES, Client, ClientKind, GrantType
from auth.domain.grants import AuthorizationCode, RefreshToken

T = TypeVar("T")

# The names RFC 8414 gives the client authentication methods we accept at /token.
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_METHODS, "none")


def _wait(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
    """From Authlib's worker thread: run `fn` on the event loop and wait for its result."""
    return anyio.from_thread.run(partial(fn, *args, **kwargs))


# -- requests and responses -----------------------------------------------------------------


class _Params(OAuth2Payload):  # type: ignore[misc]
    """Request parameters with repeats kept, so the "sent more than once" rules can apply."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ProtocolRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request as Authlib sees it: method, public URI, headers and parameters
    (the query of a GET, the form of a POST — never both, so nothing can be smuggled)."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str],
                 params: Sequence[tuple[str, str]]) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Params(params)

    @property
    def args(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data

    @property
    def form(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data

    def repeated(self) -> list[str]:
        return [name for name, values in self.payload.datalist.items() if len(values) > 1]


@dataclass(frozen=True)
class ProtocolResponse:
    """What Authlib answers: a status, a body (a dict for JSON, "" for redirects), headers."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


@dataclass(frozen=True)
class Refusal:
    """An authorization request that must NOT be redirected: unknown client or redirect URI
    (RFC 6749 §4.1.2.1), so the user sees an error page instead."""

    error: str
    description: str


@dataclass(frozen=True)
class Acceptable:
    """An authorization request that may be shown the login form."""

    client_id: str
    scope: str


# -- Authlib's view of our domain objects ---------------------------------------------------


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: Client, session: OAuthSession) -> None:
        self.client = client
        self._session = session

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        # Never guess: every authorization request names its redirect URI, matched exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        return self.client.granted_scope(scope)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return self.client.allows_redirect(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return _wait(self._session.check_client_secret, self.client, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client.kind is ClientKind.PUBLIC:
            return method == "none"
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.client.allows_grant(GrantType.AUTHORIZATION_CODE)

    def check_grant_type(self, grant_type: str) -> bool:
        return self.client.allows_grant(grant_type)


class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, code: AuthorizationCode) -> None:
        self.code = code
        self.code_challenge = code.code_challenge
        self.code_challenge_method = code.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.code.redirect_uri

    def get_scope(self) -> str:
        return self.code.scope


class _Refresh(TokenMixin):  # type: ignore[misc]
    def __init__(self, token: RefreshToken) -> None:
        self.token = token

    def check_client(self, client: _Client) -> bool:
        return self.token.family.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.token.scope


# -- grants ---------------------------------------------------------------------------------


class _S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE required on every authorization request, and only with S256 (RFC 9700 §2.1.1):
    `plain` would hand the verifier to anyone who sees the authorization request."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and "
                                      "code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def save_authorization_code(self, code: str, request: ProtocolRequest) -> None:
        data = request.payload.data
        _wait(self.server.session.issue_code, code, client=request.client.client,
              user_id=request.user.id, redirect_uri=request.payload.redirect_uri,
              scope=request.scope, code_challenge=data["code_challenge"],
              code_challenge_method=data["code_challenge_method"])

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        found = _wait(self.server.session.redeem_code, code, client.get_client_id())
        return _Code(found) if found else None

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        # Kept, marked consumed: a second exchange must be recognised as a replay.
        _wait(self.server.session.consume_code, authorization_code.code)

    def authenticate_user(self, authorization_code: _Code) -> User | None:
        user: User | None = _wait(self.server.session.user, authorization_code.code.user_id)
        return user


class _RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use returns a successor

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
        found = _wait(self.server.session.present_refresh_token, refresh_token,
                      self.request.client.get_client_id())
        return _Refresh(found) if found else None

    def authenticate_user(self, refresh_token: _Refresh) -> User | None:
        user: User | None = _wait(self.server.session.user, refresh_token.token.family.user_id)
        return user

    def revoke_old_credential(self, refresh_token: _Refresh) -> None:
        """Nothing left to do: `save_token` rotated it together with storing the successor."""


class _ClientCredentialsGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(SECRET_METHODS)


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Refresh | None:
        # Access tokens are self-contained JWTs that expire within minutes; only refresh
        # tokens can be revoked, and RFC 7009 §2.2 answers 200 for any other token.
        found = _wait(self.server.session.find_refresh_token, token_string)
        return _Refresh(found) if found else None

    def revoke_token(self, token: _Refresh, request: ProtocolRequest) -> None:
        _wait(self.server.session.revoke_family, token.token)


class _Engine(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server bound to one request's `OAuthSession`."""

    def __init__(self, session: OAuthSession) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self._clients: dict[str, _Client | None] = {}
        self.register_grant(_CodeGrant, [_S256Only(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_grant(_ClientCredentialsGrant)
        self.register_endpoint(_Revocation)
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> _Client | None:
        # Authlib asks once per authentication method it tries; one lookup is enough.
        if client_id not in self._clients:
            found = _wait(self.session.client, client_id)
            self._clients[client_id] = _Client(found, self.session) if found else None
        return self._clients[client_id]

    def _generate_token(self, grant_type: str, client: _Client, user: User | None = None,
                        scope: str | None = None, expires_in: int | None = None,
                        include_refresh_token: bool = True) -> dict[str, Any]:
        granted = client.client.granted_scope(scope)
        if granted is None:
            raise InvalidScopeError()
        issued = self.session.mint_access_token(client.client, user, granted)
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": issued.token,
                                 "expires_in": issued.expires_in, "scope": granted}
        if include_refresh_token and user is not None:
            token["refresh_token"] = new_secret()
        return token

    def save_token(self, token: dict[str, Any], request: ProtocolRequest) -> None:
        if "refresh_token" not in token:
            return  # access tokens are JWTs: nothing to store
        code = request.authorization_code
        previous = request.refresh_token
        _wait(self.session.store_refresh_token, token["refresh_token"],
              client=request.client.client, user=request.user, scope=token["scope"],
              code=code.code if code else None, previous=previous.token if previous else None)

    def create_oauth2_request(self, request: ProtocolRequest) -> ProtocolRequest:
        return request

    def handle_response(self, status: int, body: Any,
                        headers: list[tuple[str, str]]) -> ProtocolResponse:
        return ProtocolResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's hook for framework signals; we have no listeners."""


# -- what the HTTP layer calls ----------------------------------------------------------------


class OAuthProvider:
    """The four protocol operations, each over one `OAuthSession` transaction."""

    def __init__(self, service: AuthService) -> None:
        self._service = service

    async def check_authorization(
        self, request: ProtocolRequest,
    ) -> Acceptable | ProtocolResponse | Refusal:
        """Whether to show the login form, redirect back with an error, or refuse outright."""

        refusal = _unprintable(request)
        if refusal:
            return refusal

        def check(engine: _Engine) -> Acceptable | ProtocolResponse | Refusal:
            try:
                grant = engine.get_consent_grant(request)
            except OAuth2Error as error:
                return _refusal_or_redirect(engine, request, error)
            return Acceptable(grant.client.get_client_id(), request.scope)

        return await self._run(check)

    async def authorize(self, request: ProtocolRequest,
                        user: User) -> ProtocolResponse | Refusal:
        """Issue a code for `user` (already authenticated) and redirect to the client."""

        refusal = _unprintable(request)
        if refusal:
            return refusal

        def issue(engine: _Engine) -> ProtocolResponse | Refusal:
            try:
                grant = engine.get_consent_grant(request, end_user=user)
            except OAuth2Error as error:
                return _refusal_or_redirect(engine, request, error)
            response: ProtocolResponse = engine.create_authorization_response(
                request, grant_user=user, grant=grant)
            return response

        return await self._run(issue)

    async def token(self, request: ProtocolRequest) -> ProtocolResponse:
        """RFC 6749 §3.2 token endpoint."""
        repeated = request.repeated()
        if repeated:  # RFC 6749 §3.2: parameters MUST NOT be included more than once
            try:
                error = InvalidRequestError(f"Repeated parameter: {', '.join(sorted(repeated))}.")
            except ValueError:  # a name outside the characters RFC 6749 §5.2 allows there
                error = InvalidRequestError("A parameter is repeated.")
            return ProtocolResponse(*error())
        return await self._run(lambda engine: engine.create_token_response(request))

    async def revoke(self, request: ProtocolRequest) -> ProtocolResponse:
        """RFC 7009 revocation endpoint."""
        return await self._run(lambda engine: engine.create_endpoint_response("revocation",
                                                                              request))

    async def _run(self, step: Callable[[_Engine], T]) -> T:
        async with self._service.oauth() as session:
            engine = _Engine(session)
            return await anyio.to_thread.run_sync(step, engine)


# RFC 6749 Appendix A: these are printable ASCII (%x20-7E). Authlib quotes some of them in
# error descriptions and then raises ValueError on its own description, so they are checked
# first. `state` may be anything: it is only ever echoed, URL-encoded.
_ASCII_PARAMETERS = ("response_type", "client_id", "redirect_uri", "scope", "code_challenge",
                     "code_challenge_method")


def _unprintable(request: ProtocolRequest) -> Refusal | None:
    for name in _ASCII_PARAMETERS:
        for value in request.payload.datalist.get(name, []):
            if any(not " " <= char <= "~" for char in value):
                return Refusal("invalid_request",
                               f"The parameter {name} must be printable ASCII.")
    return None


def _refusal_or_redirect(engine: _Engine, request: ProtocolRequest,
                         error: OAuth2Error) -> ProtocolResponse | Refusal:
    if error.redirect_uri:  # the client and its redirect URI are known good
        error.state = request.payload.state
        response: ProtocolResponse = engine.handle_error_response(request, error)
        return response
    return Refusal(str(error.error), str(error.get_error_description() or error.error))
