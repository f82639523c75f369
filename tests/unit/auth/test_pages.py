"""The login form and the error page: every value is escaped, only OAuth parameters are carried."""

from __future__ import annotations

from auth.entrypoints.pages import error_page, login_page

HOSTILE = '"><script>alert(1)</script>'


def test_every_carried_value_is_escaped() -> None:
    page = login_page([("state", HOSTILE), ("client_id", "fitshop-web")],
                      client_id=HOSTILE, message=HOSTILE, username=HOSTILE)
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") == 4


def test_only_authorization_parameters_are_carried_in_hidden_inputs() -> None:
    page = login_page([("client_id", "fitshop-web"), ("password", "leak"), ("admin", "1")],
                      client_id="fitshop-web")
    assert 'name="client_id"' in page
    assert "leak" not in page
    assert 'name="admin"' not in page


def test_the_form_posts_back_to_the_authorization_endpoint_without_the_query() -> None:
    assert '<form method="post" action="authorize">' in login_page([], client_id="fitshop-web")


def test_the_error_page_escapes_the_description_and_offers_no_form() -> None:
    page = error_page("invalid_request", HOSTILE)
    assert "<script>" not in page
    assert "<form" not in page
