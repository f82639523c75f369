"""skaffold.yaml: one artifact per service, each wired into the chart, valid v4beta14."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SKAFFOLD = REPO / "skaffold.yaml"
SCHEMA = REPO.parent / "shared" / "schemas" / "skaffold-v4beta14.json"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(SKAFFOLD.read_text())


@pytest.fixture(scope="module")
def chart_values() -> dict[str, Any]:
    return yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())


def releases(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in config["deploy"]["helm"]["releases"]}


def template_key(image: str) -> str:
    """Skaffold's template name part for an image: non-alphanumerics become underscores."""
    return re.sub(r"[^A-Za-z0-9]", "_", image)


def test_api_version_and_kind(config: dict[str, Any]) -> None:
    assert config["apiVersion"] == "skaffold/v4beta14"
    assert config["kind"] == "Config"


def test_it_validates_against_the_v4beta14_schema(config: dict[str, Any]) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is not beside this checkout")
    import jsonschema

    errors = sorted(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(config),
                    key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_enabled_service_has_exactly_one_artifact(config: dict[str, Any],
                                                        chart_values: dict[str, Any]) -> None:
    built = [a["docker"]["buildArgs"]["SERVICE"] for a in config["build"]["artifacts"]]
    assert len(built) == len(set(built))
    enabled = {name for name, svc in chart_values["services"].items() if svc["enabled"]}
    assert set(built) == enabled


def test_each_artifact_context_and_dockerfile_exist(config: dict[str, Any]) -> None:
    for artifact in config["build"]["artifacts"]:
        context = REPO / artifact.get("context", ".")
        assert context.is_dir()
        dockerfile = context / artifact["docker"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        service = artifact["docker"]["buildArgs"]["SERVICE"]
        assert (context / "services" / service / "pyproject.toml").exists(), service
        assert artifact["image"] == f"fitshop/{service}"


def test_every_image_is_wired_into_the_chart(config: dict[str, Any], chart_values: dict[str, Any]) -> None:
    fitshop = releases(config)["fitshop"]
    templates = fitshop["setValueTemplates"]
    for artifact in config["build"]["artifacts"]:
        service = artifact["docker"]["buildArgs"]["SERVICE"]
        key = template_key(artifact["image"])
        assert templates[f"services.{service}.image.repository"] == f"{{{{.IMAGE_REPO_{key}}}}}"
        assert templates[f"services.{service}.image.tag"] == f"{{{{.IMAGE_TAG_{key}}}}}"
        assert chart_values["services"][service]["image"]["repository"] == artifact["image"]
    for path in templates:
        service = path.split(".")[1]
        assert service in chart_values["services"], f"{path} names no service of the chart"


def test_the_local_chart_and_its_inputs_exist(config: dict[str, Any]) -> None:
    fitshop = releases(config)["fitshop"]
    assert (REPO / fitshop["chartPath"] / "Chart.yaml").exists()
    for path in fitshop["setFiles"].values():
        assert (REPO / path).exists(), path
    for path in fitshop["valuesFiles"]:
        if path.startswith(".state/"):
            continue  # written by the before-deploy hook, checked below
        assert (REPO / path).exists(), path


def test_the_signing_keys_hook_writes_the_values_file_skaffold_reads(config: dict[str, Any],
                                                                     tmp_path: Path) -> None:
    (hook,) = config["deploy"]["helm"]["hooks"]["before"]
    command = hook["host"]["command"]
    script, keys_dir, out = command[1], command[2], command[3]
    assert out in releases(config)["fitshop"]["valuesFiles"]
    keys = sorted((REPO / keys_dir).glob("*.pem"))
    assert keys, f"{keys_dir} holds no key (make keys)"
    target = tmp_path / "keys.yaml"
    subprocess.run([sys.executable, str(REPO / script), str(REPO / keys_dir), str(target)], check=True,
                   capture_output=True)
    files = yaml.safe_load(target.read_text())["signingKeys"]["files"]
    assert sorted(files) == [k.name for k in keys]
    assert all(files[k.name].strip() == k.read_text().strip() for k in keys)


def test_nats_and_kong_are_official_remote_charts_deployed_around_fitshop(config: dict[str, Any]) -> None:
    names = [r["name"] for r in config["deploy"]["helm"]["releases"]]
    assert names == ["nats", "fitshop", "kong"], "profiles patch releases by index"
    by_name = releases(config)
    assert by_name["nats"]["remoteChart"] == "nats"
    assert by_name["kong"]["remoteChart"] == "kong"
    assert by_name["kong"]["dependsOn"] == ["fitshop"], "Kong mounts the ConfigMap fitshop renders"
    for release in ("nats", "kong"):
        for path in by_name[release]["valuesFiles"]:
            assert (REPO / path).exists(), path


def test_kong_values_are_dbless_oss_without_controller() -> None:
    kong = yaml.safe_load((REPO / "charts" / "values" / "kong.yaml").read_text())
    assert kong["image"] == {"repository": "kong", "tag": "3.9"}
    assert kong["env"]["database"] == "off"
    assert kong["ingressController"]["enabled"] is False
    assert kong["dblessConfig"]["configMap"] == "fitshop-kong-config"
    assert kong["proxy"]["http"]["containerPort"] == 8000
    # every request on a fresh connection: terminating pods get none once out of the endpoints
    assert kong["env"]["upstream_keepalive_pool_size"] == "0"


def test_nats_values_enable_jetstream_on_files() -> None:
    nats = yaml.safe_load((REPO / "charts" / "values" / "nats.yaml").read_text())
    assert nats["config"]["jetstream"]["enabled"] is True
    assert nats["config"]["jetstream"]["fileStore"]["enabled"] is True
    ha = yaml.safe_load((REPO / "charts" / "values" / "nats-ha.yaml").read_text())
    assert ha["config"]["cluster"] == {"enabled": True, "replicas": 3}


def test_profiles_dev_and_ha_patch_paths_that_exist(config: dict[str, Any]) -> None:
    profiles = {p["name"]: p for p in config["profiles"]}
    assert set(profiles) == {"dev", "ha"}
    releases_list = config["deploy"]["helm"]["releases"]
    for profile in profiles.values():
        for patch in profile["patches"]:
            match = re.fullmatch(r"/deploy/helm/releases/(\d+)/(\w+)(/-)?", patch["path"])
            assert match, patch["path"]
            release = releases_list[int(match[1])]
            if match[2] == "valuesFiles":
                assert (REPO / patch["value"]).exists(), patch["value"]
                assert match[2] in release
    assert "charts/fitshop/values-dev.yaml" in [p["value"] for p in profiles["dev"]["patches"]]
    assert "charts/fitshop/values-ha.yaml" in [p["value"] for p in profiles["ha"]["patches"]]


def test_the_gateway_is_forwarded_to_8000(config: dict[str, Any]) -> None:
    (forward,) = config["portForward"]
    assert forward["resourceType"] == "service"
    assert forward["resourceName"] == "kong-kong-proxy"
    assert forward["port"] == 80
    assert forward["localPort"] == 8000
