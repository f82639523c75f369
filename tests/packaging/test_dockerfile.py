"""The image recipe (services/Dockerfile, one parametrised file for every service) and the
build context (.dockerignore), checked as text: no container engine runs here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "services" / "Dockerfile"
NOT_DEPLOYED = {"common", "devstack", "edge"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    result = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def build_args(text: str) -> dict[str, str]:
    values = {}
    for word, rest in instructions(text):
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            values[key] = value
    return values


def deployable_services() -> list[str]:
    values = yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())
    return [name for name, svc in values["services"].items() if svc["enabled"]]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    assert DOCKERFILE.exists(), "services/Dockerfile is missing"
    return DOCKERFILE.read_text()


def test_base_images_are_pinned_python_311_slim(dockerfile: str) -> None:
    args = build_args(dockerfile)
    for stage in stages(dockerfile):
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image)
        assert image == "python:3.11-slim-bookworm", image


def test_no_latest_anywhere(dockerfile: str) -> None:
    assert not re.search(r":latest\b", dockerfile)


def test_it_is_multi_stage_with_a_clean_final_stage(dockerfile: str) -> None:
    all_stages = stages(dockerfile)
    assert len(all_stages) >= 2
    final = all_stages[-1]
    text = " ".join(f"{w} {r}" for w, r in final)
    assert "COPY --from=build /opt/venv /opt/venv" in text
    for tool in ("gcc", "build-essential", "apt-get install", "uv pip", "pip install", "hatchling"):
        assert tool not in text, f"the final stage must not carry {tool}"


def test_the_final_stage_runs_as_a_non_root_user(dockerfile: str) -> None:
    users = [rest for word, rest in stages(dockerfile)[-1] if word == "USER"]
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric uid lets Kubernetes check runAsNonRoot"
    values = yaml.safe_load((REPO / "charts" / "fitshop" / "values.yaml").read_text())
    assert int(user) == values["podSecurityContext"]["runAsUser"]


def test_it_serves_granian_on_8080_in_exec_form(dockerfile: str) -> None:
    final = stages(dockerfile)[-1]
    (cmd,) = [rest for word, rest in final if word == "CMD"]
    argv = json.loads(cmd)  # exec form: granian is PID 1 and gets SIGTERM itself
    assert argv[0] == "granian"
    joined = " ".join(argv)
    for flag in ("--interface asgi", "--factory", "--host 0.0.0.0", "--port 8080", "--workers 1"):
        assert flag in joined
    assert ("EXPOSE", "8080") in final
    assert not [w for w, _ in final if w == "ENTRYPOINT"], "no shell wrapper in front of granian"


def test_the_factory_target_is_each_service_entrypoint(dockerfile: str) -> None:
    assert "from %s.entrypoints.http import create_app" in dockerfile
    assert "tr '-' '_'" in dockerfile
    (cmd,) = [rest for word, rest in stages(dockerfile)[-1] if word == "CMD"]
    assert json.loads(cmd)[-1] == "fitshop_image:create_app"


def test_dependencies_come_pinned_from_requirements_txt(dockerfile: str) -> None:
    assert "COPY requirements.txt" in dockerfile
    assert "--require-hashes" in dockerfile
    assert "uv pip check" in dockerfile


def test_the_parametrised_dockerfile_covers_every_deployable_service() -> None:
    """One recipe, SERVICE=<folder>: every deployed service must be installable by it."""
    for service in deployable_services():
        folder = REPO / "services" / service
        package = service.replace("-", "_")
        assert (folder / "pyproject.toml").exists(), f"services/{service} has no pyproject.toml"
        assert (folder / "src" / package / "entrypoints" / "http.py").exists(), (
            f"services/{service} has no {package}.entrypoints.http (the image's factory)")
        assert not (folder / "Dockerfile").exists(), (
            f"services/{service}/Dockerfile would shadow the parametrised services/Dockerfile")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_txt_pins_what_every_image_installs() -> None:
    """The build installs requirements.txt with --require-hashes, then the workspace packages
    with --no-deps: every third-party dependency they declare must be pinned there."""
    requirements = REPO / "requirements.txt"
    assert requirements.exists(), "requirements.txt (make lock) is what the image installs"
    text = requirements.read_text()
    assert "://" not in text, "requirements.txt must not name any index or URL"
    pinned = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][\w.\-]*)==([^\s;]+)", line)
        if match:
            pinned[_normalise(match[1])] = match[2]
    assert pinned and "--hash=sha256:" in text
    import tomllib

    for service in ["common", *deployable_services()]:
        project = tomllib.loads((REPO / "services" / service / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            name = _normalise(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0])
            if name.startswith("fitshop-"):
                continue  # workspace members: installed from source by the Dockerfile
            assert name in pinned, f"services/{service} needs {name}, which requirements.txt does not pin"


def test_the_build_context_is_small_and_clean() -> None:
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "allow-list: ignore everything, then re-include"
    assert "!requirements.txt" in rules
    assert "!services/" in rules
    for noise in ("services/**/__pycache__", "services/**/.venv", "services/devstack", "services/edge"):
        assert noise in rules


def test_the_image_ships_the_event_contracts_its_consumers_check(dockerfile: str) -> None:
    final = stages(dockerfile)[-1]
    copies = [args for word, args in final if word == "COPY"]
    assert any(args.startswith("contracts/events ") for args in copies)
    env = " ".join(args for word, args in final if word == "ENV")
    assert "FITSHOP_CONTRACTS_DIR=/opt/fitshop/contracts/events" in env
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert "!contracts/" in ignored  # part of the build context
