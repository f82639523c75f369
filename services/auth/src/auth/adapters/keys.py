"""Signing keys from a folder of `<kid>.pem` files: the newest signs, all are published (joserfc)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from auth.application.ports import AccessTokenSigner

ALGORITHM = "RS256"
KID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_BITS = 2048


class KeysUnavailable(RuntimeError):
    """The keys folder is missing, empty or holds something that is not an RSA private key."""


@dataclass(frozen=True)
class KeyRing(AccessTokenSigner):
    """Keys ordered oldest → newest by file name (the `kid`), so name kids to sort by age.

    Name, not mtime, decides: a Kubernetes Secret volume gives every file the same mtime,
    and copying a folder changes them all.
    """

    keys: tuple[RSAKey, ...]

    @classmethod
    def load(cls, folder: Path) -> KeyRing:
        if not folder.is_dir():
            raise KeysUnavailable(f"AUTH_KEYS_DIR {folder} is not a folder")
        keys = []
        for path in sorted(folder.glob("*.pem"), key=lambda p: p.name):
            kid = path.stem
            if not KID.match(kid):
                raise KeysUnavailable(f"{path.name}: a kid is 1-64 of A-Z a-z 0-9 . _ -")
            try:
                key = RSAKey.import_key(path.read_bytes(),
                                        parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
            except (ValueError, TypeError) as exc:
                raise KeysUnavailable(f"{path}: not a PEM RSA key ({exc})") from exc
            if not key.is_private:
                raise KeysUnavailable(f"{path}: holds a public key; the signer needs the private one")
            if key.private_key.key_size < MIN_BITS:  # type: ignore[union-attr]
                raise KeysUnavailable(f"{path}: RSA keys must have at least {MIN_BITS} bits")
            keys.append(key)
        if not keys:
            raise KeysUnavailable(f"no <kid>.pem signing key in AUTH_KEYS_DIR {folder}")
        return cls(tuple(keys))

    @property
    def current(self) -> RSAKey:
        return self.keys[-1]

    @property
    def kid(self) -> str:
        return str(self.current.kid)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """Public halves of every key, newest first: tokens signed by an older key stay valid."""
        return {"keys": [
            {**key.as_dict(private=False), "use": "sig", "alg": ALGORITHM, "kid": key.kid}
            for key in reversed(self.keys)
        ]}

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": ALGORITHM, "kid": self.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.current, algorithms=[ALGORITHM])
