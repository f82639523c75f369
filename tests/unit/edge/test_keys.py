"""`python -m edge.keys`: rotation keeps two keys published, and check finds every disagreement."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from edge.config import ConfigError, load_config
from edge.keys import check, load_keys, main, publish, rotate

REPO = Path(__file__).resolve().parents[3]
CONFIG = """\
# a comment that must survive
_format_version: "3.0"
services:
  - name: shop
    url: http://fitshop-shop:8080  # inline comment
    routes:
      - name: all
        paths:
          - /
consumers:
  - username: fitshop-auth
    jwt_secrets: []
"""
NOON = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "kong.yml"
    config.write_text(CONFIG)
    return tmp_path / "keys", config


def secrets_of(config: Path) -> dict[str, dict[str, str]]:
    consumer = yaml.safe_load(config.read_text())["consumers"][0]
    return {s["key"]: s for s in consumer["jwt_secrets"]}


def test_rotation_publishes_the_new_key_beside_the_previous_one(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    first, _, _ = rotate(keys_dir, config, now=NOON)
    second, kept, removed = rotate(keys_dir, config, now=NOON)

    assert first.kid.startswith("20261125T120000Z-")
    assert second.kid.startswith("20261125T120001Z-")  # same second: still sorts after
    assert [k.kid for k in kept] == [first.kid, second.kid] and removed == []
    assert set(secrets_of(config)) == {first.kid, second.kid}
    assert check(keys_dir, config) == []


def test_a_third_rotation_retires_the_oldest_key(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    first, _, _ = rotate(keys_dir, config, now=NOON)
    second, _, _ = rotate(keys_dir, config, now=NOON)
    kept_secret = secrets_of(config)[second.kid]["secret"]
    third, _, removed = rotate(keys_dir, config, now=NOON)

    assert removed == [first.path] and not first.path.exists()
    assert [k.kid for k in load_keys(keys_dir)] == [second.kid, third.kid]
    assert set(secrets_of(config)) == {second.kid, third.kid}
    assert secrets_of(config)[second.kid]["secret"] == kept_secret
    assert check(keys_dir, config) == []


def test_rotation_leaves_the_rest_of_the_file_alone(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    rotate(keys_dir, config, keep=1, now=NOON)
    text = config.read_text()

    assert text.startswith("# a comment that must survive\n")
    assert "url: http://fitshop-shop:8080  # inline comment" in text
    assert "rsa_public_key: |\n" in text
    secret = next(iter(secrets_of(config).values()))
    assert secret["algorithm"] == "RS256" and len(secret["secret"]) >= 32
    assert load_config(config).jwt_credentials


def test_private_keys_are_written_for_the_owner_only(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    created, _, _ = rotate(keys_dir, config, now=NOON)

    assert created.path.stat().st_mode & 0o777 == 0o600
    assert created.private_key.key_size == 2048


def test_rotation_refuses_a_config_without_the_consumer(tmp_path: Path) -> None:
    config = tmp_path / "kong.yml"
    config.write_text(CONFIG.replace("fitshop-auth", "someone-else"))

    with pytest.raises(ConfigError, match="no consumer 'fitshop-auth'"):
        rotate(tmp_path / "keys", config, now=NOON)
    assert not (tmp_path / "keys").exists() or load_keys(tmp_path / "keys") == []


def test_check_finds_a_published_key_without_its_private_key(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    first, _, _ = rotate(keys_dir, config, now=NOON)
    rotate(keys_dir, config, now=NOON)
    first.path.unlink()

    assert check(keys_dir, config) == [
        f"jwt_secret {first.kid} in {config} has no private key in {keys_dir}"]


def test_check_finds_an_unpublished_key_and_a_wrong_public_key(files: tuple[Path, Path]) -> None:
    keys_dir, config = files
    first, _, _ = rotate(keys_dir, config, now=NOON)
    second, _, _ = rotate(keys_dir, config, now=NOON)
    extra = keys_dir / "20991231T000000Z-extra.pem"
    shutil.copy(first.path, extra)
    text = config.read_text()
    first_pem, second_pem = first.public_pem(), second.public_pem()
    swapped = text.replace(first_pem.splitlines()[1], "FIRST").replace(
        second_pem.splitlines()[1], first_pem.splitlines()[1]).replace(
        "FIRST", second_pem.splitlines()[1])
    config.write_text(swapped)

    problems = check(keys_dir, config)

    assert f"key {extra.stem} is not published in {config}" in problems
    assert any(p.startswith(f"jwt_secret {first.kid}: rsa_public_key is not") for p in problems)


def test_the_command_line_rotates_and_checks(files: tuple[Path, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    keys_dir, config = files
    args = ["--config", str(config), "--keys-dir", str(keys_dir)]

    assert main(["check", *args]) == 1
    assert main(["rotate", *args, "--keep", "2"]) == 0
    assert main(["check", *args]) == 0
    assert "ok:" in capsys.readouterr().out


def test_publish_writes_the_keys_of_another_folder_without_adding_one(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    keys_dir, config = files
    rotate(keys_dir, config, now=NOON)
    production = tmp_path / "production-keys"
    created, _, _ = rotate(production, config, now=NOON)  # stands in for the Secret's keys

    published = publish(production, config)

    assert [k.kid for k in published] == [created.kid]
    assert set(secrets_of(config)) == {created.kid}
    assert check(production, config) == []
    assert check(keys_dir, config) != []


def test_the_committed_demo_keys_match_the_committed_config() -> None:
    assert check(REPO / "gateway-config" / "demo-keys", REPO / "gateway-config" / "kong.yml") == []
