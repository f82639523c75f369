"""A small API client for the shop through the gateway, the way a script or the web app talks to it."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx2

CLI_CLIENT = "fitshop-cli"
CLI_REDIRECT = "http://127.0.0.1:8976/callback"


class _FormInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action") or ""
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def login(gateway: str, username: str, password: str) -> dict[str, Any]:
    """Authorization code + PKCE (S256) without a browser; returns the token response."""
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    state = secrets.token_urlsafe(12)
    with httpx2.Client(base_url=gateway, timeout=10) as http:
        form = http.get(
            "/auth/authorize",
            params={
                "response_type": "code",
                "client_id": CLI_CLIENT,
                "redirect_uri": CLI_REDIRECT,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": state,
            },
        )
        form.raise_for_status()
        parser = _FormInputs()
        parser.feed(form.text)
        action = str(form.url.join(parser.action or ""))  # the form's action is relative
        answer = http.post(
            action, data={**parser.fields, "username": username, "password": password}
        )
        assert answer.status_code == 302, (answer.status_code, answer.text[:300])
        query = parse_qs(urlparse(answer.headers["location"]).query)
        assert query["state"] == [state]
        token = http.post(
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "code_verifier": verifier,
                "client_id": CLI_CLIENT,
                "redirect_uri": CLI_REDIRECT,
            },
        )
        token.raise_for_status()
        return dict(token.json())


class Shopper:
    """One logged-in person talking to the gateway."""

    def __init__(self, gateway: str, username: str, password: str) -> None:
        self.tokens = login(gateway, username, password)
        self.http = httpx2.Client(
            base_url=gateway,
            timeout=15,
            headers={"Authorization": f"Bearer {self.tokens['access_token']}"},
        )

    def close(self) -> None:
        self.http.close()


def card(ending: str = "1111") -> dict[str, str]:
    return {"method": "card", "card_number": "4111" + "1111" * 2 + ending}


ADDRESS = {
    "recipient": "김철수",
    "line1": "테헤란로 1",
    "city": "서울",
    "postal_code": "06236",
    "phone": "010-1234-5678",
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
