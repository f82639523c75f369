"""Signing keys from a folder of `<kid>.pem` files: which key signs, which are published."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import KeySet

from auth.adapters.keys import KeyRing, KeysUnavailable
from tests.integration.auth.auth_process import write_key


def test_the_last_kid_by_name_signs_and_every_key_is_published(tmp_path: Path) -> None:
    write_key(tmp_path, "2026-06-01")
    write_key(tmp_path, "2026-01-01")
    ring = KeyRing.load(tmp_path)
    assert ring.kid == "2026-06-01"
    assert [k["kid"] for k in ring.jwks()["keys"]] == ["2026-06-01", "2026-01-01"]


def test_a_signed_token_verifies_with_the_published_keys_and_names_its_kid(
        tmp_path: Path) -> None:
    write_key(tmp_path, "k1")
    ring = KeyRing.load(tmp_path)
    token = ring.sign({"sub": "alice"})
    decoded = jwt.decode(token, KeySet.import_key_set(ring.jwks()), algorithms=["RS256"])
    assert decoded.header == {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    assert decoded.claims == {"sub": "alice"}


def test_files_other_than_pem_are_ignored(tmp_path: Path) -> None:
    write_key(tmp_path, "k1")
    (tmp_path / "README").write_text("rotation notes")
    assert KeyRing.load(tmp_path).kid == "k1"


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeysUnavailable, match=r"no <kid>\.pem"):
        KeyRing.load(tmp_path)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeysUnavailable, match="not a folder"):
        KeyRing.load(tmp_path / "nowhere")


def test_a_public_key_cannot_sign(tmp_path: Path) -> None:
    key = write_key(tmp_path, "k1")
    (tmp_path / "k1.pem").write_bytes(key.as_pem(private=False))
    with pytest.raises(KeysUnavailable, match="public key"):
        KeyRing.load(tmp_path)


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")  # joserfc's own notice
def test_a_short_rsa_key_is_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    (tmp_path / "weak.pem").write_bytes(weak.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(KeysUnavailable, match="2048"):
        KeyRing.load(tmp_path)


def test_garbage_in_a_pem_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "broken.pem").write_text("-----BEGIN NOTHING-----")
    with pytest.raises(KeysUnavailable, match=r"broken\.pem"):
        KeyRing.load(tmp_path)


def test_a_kid_with_unsafe_characters_is_refused(tmp_path: Path) -> None:
    write_key(tmp_path, "k1")
    (tmp_path / "k1.pem").rename(tmp_path / "bad kid!.pem")
    with pytest.raises(KeysUnavailable, match="kid"):
        KeyRing.load(tmp_path)
