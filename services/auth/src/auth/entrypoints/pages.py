"""The two HTML pages a person sees: the login form and the "this request is not valid" page."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# The authorization parameters the form carries back in hidden inputs (RFC 6749 §4.1.1, RFC 7636).
CARRIED = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
           "code_challenge_method")

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # A login form must never be framed (clickjacking) and needs nothing from elsewhere.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """body{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem}.error{color:#a00;border:1px solid #a00;padding:.5rem}"""


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def login_page(params: Sequence[tuple[str, str]], *, client_id: str, message: str | None = None,
               username: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in params if name in CARRIED
    )
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    # A relative action posts to this same path without the query string, so the POST
    # carries the request only once: in the hidden inputs.
    return _page("Sign in · fitshop", (
        f"<h1>Sign in to fitshop</h1><p>to continue to <strong>{escape(client_id)}</strong></p>"
        f'{error}<form method="post" action="authorize">{hidden}'
        f'<label for="username">Username</label>'
        f'<input id="username" name="username" autocomplete="username" required '
        f'value="{escape(username)}">'
        f'<label for="password">Password</label>'
        f'<input id="password" name="password" type="password" '
        f'autocomplete="current-password" required>'
        f'<button type="submit">Sign in</button></form>'
    ))


def error_page(error: str, description: str) -> str:
    return _page("Cannot sign in · fitshop", (
        "<h1>This sign-in request is not valid</h1>"
        f"<p>{escape(description)}</p><p><small>error: {escape(error)}</small></p>"
        "<p>Go back to the application you came from and try again.</p>"
    ))
