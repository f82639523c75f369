"""OAuth clients: the applications allowed to ask for tokens, and how each one may ask."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from auth.domain.accounts import Role


class ClientKind(StrEnum):
    """RFC 6749 §2.1: a public client cannot keep a secret; a confidential one can."""

    PUBLIC = "public"
    CONFIDENTIAL = "confidential"


class GrantType(StrEnum):
    AUTHORIZATION_CODE = "authorization_code"
    REFRESH_TOKEN = "refresh_token"
    CLIENT_CREDENTIALS = "client_credentials"


# The one scope today: "use the shop as yourself". Authorisation is by role (DESIGN §7); the
# scope exists so clients can later be narrowed without changing the token format.
SCOPES: tuple[str, ...] = ("shop",)


@dataclass(frozen=True)
class Client:
    """A registered OAuth client."""

    client_id: str
    kind: ClientKind
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[GrantType, ...]
    scopes: tuple[str, ...]
    roles: tuple[Role, ...] = ()
    """Roles of the client's own tokens (client_credentials); users' tokens carry the user's."""

    @property
    def is_public(self) -> bool:
        return self.kind is ClientKind.PUBLIC

    def allows_redirect(self, uri: str) -> bool:
        """Exact string comparison (RFC 9700 §4.1.3): no prefixes, no wildcards, no normalising."""
        return uri in self.redirect_uris

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def granted_scope(self, requested: str | None) -> str | None:
        """The scope to grant: all of the client's when none is asked; None when any asked
        scope is not the client's."""
        if not requested or not requested.strip():
            return " ".join(self.scopes)
        wanted = requested.split()
        if any(scope not in self.scopes for scope in wanted):
            return None
        return " ".join(dict.fromkeys(wanted))
