"""A small scripted OAuth client: PKCE pair, the login form's hidden inputs, token requests."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from tests.integration.auth.auth_process import CLI_CALLBACK


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _FormInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: list[tuple[str, str]] = []
        self.action: str | None = None
        self.fields: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action")
        if tag == "input":
            name = attributes.get("name") or ""
            self.fields.append(name)
            if attributes.get("type") == "hidden":
                self.hidden.append((name, attributes.get("value") or ""))


def form_inputs(html: str) -> _FormInputs:
    parser = _FormInputs()
    parser.feed(html)
    return parser


@dataclass
class AuthorizationRequest:
    client_id: str = "fitshop-cli"
    redirect_uri: str = CLI_CALLBACK
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    scope: str | None = "shop"
    method: str = "S256"
    verifier: str = ""
    challenge: str = ""

    def __post_init__(self) -> None:
        if not self.verifier:
            self.verifier, self.challenge = pkce_pair()

    def query(self, **overrides: Any) -> dict[str, str]:
        params = {"response_type": "code", "client_id": self.client_id,
                  "redirect_uri": self.redirect_uri, "code_challenge": self.challenge,
                  "code_challenge_method": self.method, "state": self.state}
        if self.scope is not None:
            params["scope"] = self.scope
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}


async def open_form(http: httpx2.AsyncClient, request: AuthorizationRequest,
                    **overrides: Any) -> httpx2.Response:
    return await http.get("/auth/authorize", params=request.query(**overrides))


async def submit_login(http: httpx2.AsyncClient, form_html: str, username: str, password: str,
                       headers: dict[str, str] | None = None) -> httpx2.Response:
    """POST the form's hidden inputs back with the credentials, as a browser would."""
    form = form_inputs(form_html)
    assert form.action == "authorize"
    data = [*form.hidden, ("username", username), ("password", password)]
    return await http.post("/auth/authorize", data=dict(data), headers=headers or {})


def redirect_params(response: httpx2.Response) -> tuple[str, dict[str, str]]:
    """(the Location without its query, the query's parameters)."""
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    return f"{location.scheme}://{location.netloc}{location.path}", params


async def log_in_for_code(http: httpx2.AsyncClient, request: AuthorizationRequest,
                          username: str = "alice", password: str = "alice-pass") -> str:
    form = await open_form(http, request)
    assert form.status_code == 200, form.text
    _, params = redirect_params(await submit_login(http, form.text, username, password))
    assert params["state"] == request.state
    return params["code"]


async def exchange_code(http: httpx2.AsyncClient, request: AuthorizationRequest, code: str,
                        **overrides: str) -> httpx2.Response:
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": request.verifier, "client_id": request.client_id,
            "redirect_uri": request.redirect_uri, **overrides}
    return await http.post("/auth/token", data=data)


async def tokens_for(http: httpx2.AsyncClient, username: str = "alice",
                     password: str = "alice-pass", client_id: str = "fitshop-cli",
                     redirect_uri: str = CLI_CALLBACK) -> dict[str, Any]:
    request = AuthorizationRequest(client_id=client_id, redirect_uri=redirect_uri)
    code = await log_in_for_code(http, request, username, password)
    response = await exchange_code(http, request, code)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(http: httpx2.AsyncClient, refresh_token: str,
                  client_id: str = "fitshop-cli") -> httpx2.Response:
    return await http.post("/auth/token", data={"grant_type": "refresh_token",
                                                "refresh_token": refresh_token,
                                                "client_id": client_id})
