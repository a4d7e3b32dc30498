"""compose.yaml, the nginx configuration, the gateway examples and the Dockerfile use real
commands and settings.

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
from sellergate.gateway.decision import IDENTITY_HEADERS
from sellergate.web.gateway import PREFIX as GATEWAY_PREFIX

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


def _gateway_yaml(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "gateway" / name).read_text())
    return loaded


def test_nginx_gateway_sets_every_identity_header_from_sellergate() -> None:
    nginx = (ROOT / "deploy" / "gateway" / "nginx.conf").read_text()
    assert re.search(r"proxy_pass http://sellergate/gateway/verify;", nginx)
    for header in IDENTITY_HEADERS:
        variable = header.lower().replace("x-sellergate-", "sellergate_").replace("-", "_")
        upstream = "$upstream_http_" + header.lower().replace("-", "_")
        assert f"auth_request_set ${variable} {upstream};" in nginx, header
        assert f"proxy_set_header {header} ${variable};" in nginx, header
    assert "proxy_set_header X-Original-URI $request_uri;" in nginx
    assert 'proxy_set_header X-Forwarded-Uri "";' in nginx


def test_traefik_forward_auth_is_the_decision_endpoint() -> None:
    config = _gateway_yaml("traefik.yaml")["http"]
    auth = config["middlewares"]["sellergate"]["forwardAuth"]
    assert auth["address"].endswith(GATEWAY_PREFIX)
    assert auth["trustForwardHeader"] is False
    assert auth["authResponseHeaders"] == list(IDENTITY_HEADERS)
    # Every spelling of an identity header the client might send is stripped; Go's regexp
    # syntax agrees with Python's for this pattern.
    stripped = re.compile(auth["authResponseHeadersRegex"])
    for name in (*IDENTITY_HEADERS, "x-sellergate-admin", "X-SELLERGATE-SCOPES"):
        assert stripped.search(name), name
    assert not stripped.search("Authorization")
    assert set(auth["authRequestHeaders"]) == {"Authorization", "DPoP"}
    router = config["routers"]["marketplace-api"]
    assert router["middlewares"] == ["sellergate"]
    assert router["service"] in config["services"]


def test_envoy_ext_authz_is_the_decision_endpoint() -> None:
    resources = _gateway_yaml("envoy.yaml")["static_resources"]
    clusters = {cluster["name"] for cluster in resources["clusters"]}
    (listener,) = resources["listeners"]
    (manager,) = listener["filter_chains"][0]["filters"]
    config = manager["typed_config"]
    filters = [f["name"] for f in config["http_filters"]]
    assert filters == ["envoy.filters.http.ext_authz", "envoy.filters.http.router"]
    authz = config["http_filters"][0]["typed_config"]
    assert authz["failure_mode_allow"] is False
    service = authz["http_service"]
    assert service["path_prefix"] == GATEWAY_PREFIX
    assert service["server_uri"]["cluster"] in clusters
    upstream = service["authorization_response"]["allowed_upstream_headers"]["patterns"]
    assert [p["exact"] for p in upstream] == [h.lower() for h in IDENTITY_HEADERS]
    forwarded = service["authorization_request"]["allowed_headers"]["patterns"]
    assert {"prefix": "x-sellergate-"} in forwarded
    routes = config["route_config"]["virtual_hosts"][0]["routes"]
    assert all(route["route"]["cluster"] in clusters for route in routes)
