"""`python -m edge.keys rotate|publish|check`: auth's signing keys and Kong's jwt_secrets in step."""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml as safe_yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from edge.config import ConfigError, load_config, parse_config
from edge.settings import CONFIG_RELATIVE, find_repo_file

CONSUMER = "fitshop-auth"
"""The Kong consumer whose jwt_secrets are the auth service's public keys."""
KEY_BITS = 2048
KID_TIME = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class SigningKey:
    """One `<kid>.pem` private key of the keys folder."""

    kid: str
    path: Path
    private_key: rsa.RSAPrivateKey

    def public_numbers(self) -> rsa.RSAPublicNumbers:
        return self.private_key.public_key().public_numbers()

    def public_pem(self) -> str:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()


def load_keys(folder: Path) -> list[SigningKey]:
    """The folder's keys, oldest first (kids sort by creation time)."""
    keys = []
    for path in sorted(folder.glob("*.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"{path} is not an RSA private key")
        keys.append(SigningKey(path.stem, path, key))
    return sorted(keys, key=lambda k: k.kid)


def new_kid(now: datetime, key: rsa.RSAPrivateKey, existing: Sequence[str]) -> str:
    """`<UTC time>-<RFC 7638 thumbprint prefix>`: unique, and newer keys sort last."""
    when = now
    if existing:
        newest = datetime.strptime(existing[-1].split("-", 1)[0], KID_TIME).replace(tzinfo=UTC)
        when = max(now, newest + timedelta(seconds=1))
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    thumbprint = RSAKey.import_key(public_pem).thumbprint()
    return f"{when.strftime(KID_TIME)}-{thumbprint[:10]}"


def write_private_key(folder: Path, kid: str, key: rsa.RSAPrivateKey) -> Path:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = folder / f"{kid}.pem"
    _write_atomically(path, pem, mode=0o600)
    return path


def _write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, order and anchors of kong.yml survive
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _consumer(document: Any, config: Path) -> CommentedMap:
    for consumer in document.get("consumers") or []:
        if consumer.get("username") == CONSUMER:
            return consumer  # type: ignore[no-any-return]
    raise ConfigError(f"{config}: no consumer '{CONSUMER}' to hold the jwt_secrets")


def render_jwt_secrets(config: Path, keys: Sequence[SigningKey]) -> str:
    """kong.yml with the consumer's jwt_secrets set to exactly the public keys of `keys`.

    Everything else (comments, order, anchors) is kept; the result is checked by the edge's
    parser before anything is written.
    """
    yaml = _yaml()
    document = yaml.load(config.read_text(encoding="utf-8"))
    consumer = _consumer(document, config)
    previous = {s.get("key"): s for s in consumer.get("jwt_secrets") or []}
    entries = CommentedSeq()
    for key in keys:
        entry = CommentedMap()
        entry["key"] = key.kid
        entry["algorithm"] = "RS256"
        entry["rsa_public_key"] = LiteralScalarString(key.public_pem())
        # Kong verifies RS256 with rsa_public_key only; decK's schema still requires `secret`.
        # A random one, so a mistaken switch to HS256 would not leave a guessable HMAC key.
        entry["secret"] = (previous.get(key.kid) or {}).get("secret") or secrets.token_urlsafe(32)
        entries.append(entry)
    consumer["jwt_secrets"] = entries
    out = io.StringIO()
    yaml.dump(document, out)
    text = out.getvalue()
    parse_config(safe_yaml.safe_load(text), source=str(config))
    return text


def rotate(keys_dir: Path, config: Path, keep: int = 2, *, now: datetime | None = None
           ) -> tuple[SigningKey, list[SigningKey], list[Path]]:
    """New key; keep the `keep` newest (the new one included); publish exactly those to Kong."""
    if keep < 1:
        raise ConfigError("--keep must be at least 1 (2 keeps the previous key published)")
    keys_dir.mkdir(parents=True, exist_ok=True)
    existing = load_keys(keys_dir)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    kid = new_kid(now or datetime.now(UTC), private_key, [k.kid for k in existing])
    created = SigningKey(kid, keys_dir / f"{kid}.pem", private_key)
    kept = [*existing, created][-keep:]
    removed = [k.path for k in existing if k not in kept]
    text = render_jwt_secrets(config, kept)  # fails before anything is written
    write_private_key(keys_dir, kid, private_key)
    _write_atomically(config, text.encode("utf-8"))
    for path in removed:
        path.unlink()
    return created, kept, removed


def publish(keys_dir: Path, config: Path) -> list[SigningKey]:
    """Write the jwt_secrets for the keys a folder already holds (no new key): for deploy
    pipelines that render kong.yml with production keys instead of the demo ones."""
    keys = load_keys(keys_dir)
    if not keys:
        raise ConfigError(f"{keys_dir} holds no <kid>.pem signing key")
    _write_atomically(config, render_jwt_secrets(config, keys).encode("utf-8"))
    return keys


def check(keys_dir: Path, config: Path) -> list[str]:
    """Everything on which kong.yml and the keys folder disagree (empty when they agree)."""
    problems: list[str] = []
    try:
        keys = load_keys(keys_dir)
    except (ValueError, ConfigError, OSError) as error:
        return [f"cannot read the keys in {keys_dir}: {error}"]
    if not keys:
        problems.append(f"{keys_dir} holds no <kid>.pem signing key")
    for key in keys:
        if key.private_key.key_size < KEY_BITS:
            problems.append(f"{key.path}: {key.private_key.key_size}-bit key, want {KEY_BITS}")
    try:
        gateway = load_config(config)
    except ConfigError as error:
        return [*problems, str(error)]
    published = {
        key: credential for key, credential in gateway.jwt_credentials.items()
        if credential.consumer.username == CONSUMER
    }
    if not any(c.username == CONSUMER for c in gateway.consumers):
        problems.append(f"{config}: no consumer '{CONSUMER}'")
    for key in keys:
        credential = published.get(key.kid)
        if credential is None:
            problems.append(f"key {key.kid} is not published in {config}")
        elif credential.algorithm != "RS256":
            problems.append(f"jwt_secret {key.kid}: algorithm {credential.algorithm}, want RS256")
        elif credential.public_key.public_numbers() != key.public_numbers():
            problems.append(f"jwt_secret {key.kid}: rsa_public_key is not the key in {key.path}")
    for kid in sorted(set(published) - {k.kid for k in keys}):
        problems.append(f"jwt_secret {kid} in {config} has no private key in {keys_dir}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    default_config = find_repo_file(CONFIG_RELATIVE)
    parser = argparse.ArgumentParser(prog="python -m edge.keys", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("rotate", "add a signing key, keep the newest, rewrite jwt_secrets"),
                       ("publish", "rewrite jwt_secrets for the keys already in the folder"),
                       ("check", "verify kong.yml and the keys folder agree")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--config", type=Path, default=default_config,
                             help="Kong declarative config (default: %(default)s)")
        command.add_argument("--keys-dir", type=Path, default=None,
                             help="folder of <kid>.pem keys (default: demo-keys beside --config)")
        if name == "rotate":
            command.add_argument("--keep", type=int, default=2,
                                 help="keys left published, the new one included (default: 2)")
    args = parser.parse_args(argv)
    keys_dir: Path = args.keys_dir or args.config.parent / "demo-keys"
    try:
        if args.command == "rotate":
            created, kept, removed = rotate(keys_dir, args.config, args.keep)
            print(f"new signing key {created.kid} in {created.path}")
            print(f"published in {args.config}: {', '.join(k.kid for k in kept)}")
            for path in removed:
                print(f"removed {path}")
            return 0
        if args.command == "publish":
            keys = publish(keys_dir, args.config)
            print(f"published in {args.config}: {', '.join(k.kid for k in keys)}")
            return 0
        problems = check(keys_dir, args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if problems:
        for problem in problems:
            print(f"mismatch: {problem}", file=sys.stderr)
        return 1
    print(f"ok: {args.config} publishes exactly the {len(load_keys(keys_dir))} keys of {keys_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
