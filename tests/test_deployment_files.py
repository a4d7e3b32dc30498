"""compose.yaml, the nginx configuration and the Dockerfile use real commands and settings.

No container engine is needed: the files are parsed and every sellergate command and
``SELLERGATE_*`` value in them is checked against the CLI and ``Settings`` themselves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml

from sellergate.cli.main import app
from sellergate.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def sellergate_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image", "").startswith("sellergate")
    }


def test_the_topology() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "node-a", "node-b", "nginx"} <= set(services)
    assert sorted(sellergate_services()) == ["migrate", "node-a", "node-b"]
    for node in ("node-a", "node-b"):
        needs = services[node]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
    assert set(services["nginx"]["depends_on"]) == {"node-a", "node-b"}


def test_the_settings_are_real_and_valid() -> None:
    for service in sellergate_services().values():
        environment = service["environment"]
        values = {}
        for name, value in environment.items():
            assert name.startswith("SELLERGATE_"), name
            field = name.removeprefix("SELLERGATE_").lower()
            assert field in Settings.model_fields, name
            values[field] = DEFAULTED.sub(lambda m: m.group(2), str(value))
        settings = load_settings(**values)
        assert settings.sqlalchemy_url.startswith("postgresql+psycopg://")
        assert settings.redis_url.startswith("redis://")
        assert settings.trusted_proxy_networks


def test_the_commands_are_real() -> None:
    group = typer.main.get_command(app)
    for service in sellergate_services().values():
        words = list(service["command"])
        command: Any = group
        while hasattr(command, "get_command"):  # a group: the next word names a command
            context = command.context_class(command, info_name=command.name)
            found = command.get_command(context, words.pop(0))
            assert found is not None, service["command"]
            command = found
        assert not words or words[0].startswith("--")
        command.make_context(command.name, words)  # options parse, or this raises


def test_nginx_sends_to_both_nodes_on_their_port() -> None:
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = re.findall(r"server (node-[ab]):(\d+)", nginx)
    nodes = {
        name: service["command"][service["command"].index("--port") + 1]
        for name, service in sellergate_services().items()
        if service["command"][0] == "serve"
    }
    assert dict(upstreams) == nodes
    port = re.search(r"listen (\d+);", nginx)
    assert port is not None
    assert f"{port.group(1)}:{port.group(1)}" in compose()["services"]["nginx"]["ports"]


def test_the_image_installs_from_the_lock_and_runs_sellergate() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert 'ENTRYPOINT ["sellergate"]' in dockerfile
    for copied in re.findall(r"^COPY (?!--)(.+) \S+$", dockerfile, re.M):
        for path in copied.split():
            assert (ROOT / path).exists(), path
