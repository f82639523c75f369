"""Accounts: username, email and password rules applied at sign-up."""

from __future__ import annotations

import pytest

from auth.domain.accounts import (
    MAX_PASSWORD,
    Registration,
    check_email,
    check_password,
    check_username,
    normalise_username,
)


def test_usernames_are_case_insensitive() -> None:
    assert normalise_username("  Alice ") == "alice"


@pytest.mark.parametrize("username", ["bob", "dumbbell.fan", "kettle_bell-20", "a1b"])
def test_acceptable_usernames(username: str) -> None:
    assert check_username(username) == []


@pytest.mark.parametrize("username", ["", "ab", "-bob", "bob smith", "x" * 33, "유저"])
def test_unacceptable_usernames_are_refused_with_a_reason(username: str) -> None:
    [violation] = check_username(username)
    assert violation.field == "username"


@pytest.mark.parametrize("email", ["alice@fitshop.test", "a.b+gym@example.co.kr"])
def test_acceptable_emails(email: str) -> None:
    assert check_email(email) == []


@pytest.mark.parametrize("email", ["", "alice", "alice@", "@fitshop.test", "a b@x.io",
                                   "alice@localhost", f"{'a' * 250}@x.io"])
def test_malformed_emails_are_refused(email: str) -> None:
    [violation] = check_email(email)
    assert violation.field == "email"


def test_a_long_passphrase_without_symbols_is_accepted() -> None:
    assert check_password("correct horse battery staple", username="alice") == []


@pytest.mark.parametrize(("password", "reason"), [
    ("short1!", "at least 8"),
    ("x" * (MAX_PASSWORD + 1), "at most"),
    ("password123", "too common"),
    ("aaaaaaaaaaaa", "too common or too simple"),
    ("ababababab", "too common or too simple"),
])
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    [violation] = check_password(password, username="alice")
    assert violation.field == "password"
    assert reason in violation.message


def test_the_password_must_not_be_the_username() -> None:
    [violation] = check_password("Dumbbell.Fan", username="dumbbell.fan")
    assert "username" in violation.message


def test_a_registration_lists_every_broken_rule_at_once() -> None:
    registration = Registration.of("x", "not-an-email", "123")
    assert not registration.acceptable
    assert {v.field for v in registration.violations} == {"username", "email", "password"}


def test_a_registration_normalises_username_and_email() -> None:
    registration = Registration.of(" Carol ", " carol@fitshop.test ", "squat-rack-2026")
    assert registration.acceptable
    assert (registration.username, registration.email) == ("carol", "carol@fitshop.test")


def test_the_demo_passwords_satisfy_the_policy() -> None:
    for username in ("seller", "alice", "bob"):
        assert check_password(f"{username}-pass", username=username) == []
