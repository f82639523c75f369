"""User accounts: who may sign in, with which roles, and what counts as acceptable credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    """What a caller may do in the shop; services authorise on these (DESIGN §7)."""

    CUSTOMER = "customer"
    SELLER = "seller"


@dataclass(frozen=True)
class Violation:
    """One reason an input was refused, named by the field it concerns."""

    field: str
    message: str


@dataclass(frozen=True)
class User:
    """A person who signs in with a username and password."""

    id: UUID
    username: str
    email: str
    password_hash: str
    roles: tuple[Role, ...]
    created_at: datetime


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is proven by
# mail, not by a regex; this only catches typos and garbage.
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_EMAIL = 254

MIN_PASSWORD = 8
# Long enough for any passphrase, short enough that hashing stays cheap (Argon2 reads it all).
MAX_PASSWORD = 128
# NIST SP 800-63B §5.1.1.2: refuse passwords known to be common rather than demand symbols.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "12345678", "123456789", "1234567890",
    "qwertyuiop", "qwerty123", "iloveyou", "11111111", "00000000", "abcd1234",
    "letmein1", "welcome1", "admin123", "passw0rd", "football", "baseball",
    "sunshine", "princess", "fitshop1", "fitshop123",
})


def normalise_username(raw: str) -> str:
    """Usernames are case-insensitive: `Alice` and `alice` are one account.

    Control characters become U+FFFD: no valid username has any, and this way even a
    hostile one can be counted by the throttle (PostgreSQL text cannot hold NUL).
    """
    return CONTROL.sub("\ufffd", raw.strip().lower())


def check_username(username: str) -> list[Violation]:
    if not USERNAME.match(username):
        return [Violation("username", "Use 3 to 32 characters: lowercase letters, digits, "
                                      "'.', '_' or '-', starting with a letter or digit.")]
    return []


def check_email(email: str) -> list[Violation]:
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        return [Violation("email", "Enter an email address like name@example.com.")]
    return []


def check_password(password: str, *, username: str) -> list[Violation]:
    """The password policy: length and a deny-list, no composition rules (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD:
        return [Violation("password", f"Use at least {MIN_PASSWORD} characters.")]
    if len(password) > MAX_PASSWORD:
        return [Violation("password", f"Use at most {MAX_PASSWORD} characters.")]
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        return [Violation("password", "This password is too common or too simple; choose another.")]
    if password.lower() == username.lower():
        return [Violation("password", "The password must not be the username.")]
    return []


@dataclass(frozen=True)
class Registration:
    """A sign-up request after normalisation, with every rule it breaks."""

    username: str
    email: str
    password: str
    violations: list[Violation] = field(default_factory=list)

    @classmethod
    def of(cls, username: str, email: str, password: str) -> Registration:
        name = normalise_username(username)
        mail = email.strip()
        violations = [
            *check_username(name),
            *check_email(mail),
            *check_password(password, username=name),
        ]
        return cls(name, mail, password, violations)

    @property
    def acceptable(self) -> bool:
        return not self.violations
