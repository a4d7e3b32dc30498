"""``sellergate clients ...`` through the entry point (in-process), on both databases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cliinvoke import Result, invoke
from sellergate.config import Settings
from sellergate.storage.database import Database


@pytest.fixture
def run(db: Database, settings: Settings) -> Any:
    env = {
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
        "SELLERGATE_PUBLIC_URL": settings.public_url,
    }

    def run_cli(*args: str) -> Result:
        return invoke(list(args), env=env)

    return run_cli


def ok(result: Result) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_create_list_rotate_disable(run: Any, settings: Settings) -> None:
    created = ok(
        run(
            "clients",
            "create",
            "--name",
            "Acme",
            "--redirect-uri",
            "https://acme.example/cb",
            "--redirect-uri",
            "http://127.0.0.1:8080/cb",
            "--scope",
            "read:orders",
            "--scope",
            "read:inventory",
            "--json",
        )
    )
    assert created["secure_link"].startswith(settings.public_url + "/secure-links/")
    assert "wn_client_secret" not in json.dumps(created)
    client_id = created["client_id"]

    listed = ok(run("clients", "list", "--json"))["clients"]
    assert [c["client_id"] for c in listed] == [client_id]
    assert listed[0]["scopes"] == ["read:inventory", "read:orders"]
    assert listed[0]["redirect_uris"] == ["https://acme.example/cb", "http://127.0.0.1:8080/cb"]
    assert listed[0]["disabled_at"] is None

    rotated = ok(run("clients", "rotate-secret", client_id, "--json"))
    assert rotated["secure_link"] != created["secure_link"]

    disabled = ok(run("clients", "disable", client_id, "--json"))
    assert disabled["disabled_at"]
    assert ok(run("clients", "list", "--json"))["clients"][0]["disabled_at"]


def test_the_secret_comes_through_the_link(
    run: Any, server: Any, http: httpx.Client, settings: Settings
) -> None:
    created = ok(
        run(
            "clients",
            "create",
            "--name",
            "Acme",
            "--redirect-uri",
            "https://a.example/cb",
            "--scope",
            "read:orders",
            "--json",
        )
    )
    path = created["secure_link"].removeprefix(settings.public_url)
    secret = http.post(path + "/reveal", headers={"Accept": "application/json"}).json()["secret"]
    assert secret.startswith("wn_client_secret_test_")


def test_public_client_has_no_secret(run: Any) -> None:
    created = ok(
        run(
            "clients",
            "create",
            "--name",
            "Mobile",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--scope",
            "read:orders",
            "--public",
            "--json",
        )
    )
    assert created["public"] is True and created["secure_link"] is None
    result = run("clients", "rotate-secret", created["client_id"], "--json")
    assert result.returncode != 0 and "public" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--redirect-uri", "https://a.example/cb", "--scope", "full_access"], "full_access"),
        (["--redirect-uri", "https://a.example/cb", "--scope", "read:all"], "unknown scope"),
        (["--redirect-uri", "/relative", "--scope", "read:orders"], "absolute"),
        (["--redirect-uri", "https://a.example/cb#x", "--scope", "read:orders"], "fragment"),
        (["--redirect-uri", "http://acme.example/cb", "--scope", "read:orders"], "https"),
        (["--redirect-uri", "ftp://a.example/cb", "--scope", "read:orders"], "https"),
    ],
)
def test_bad_input_is_a_clear_error(run: Any, args: list[str], message: str) -> None:
    result = run("clients", "create", "--name", "Bad", *args, "--json")
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert ok(run("clients", "list", "--json")) == {"clients": []}


def test_unknown_client(run: Any) -> None:
    for command in ("rotate-secret", "disable"):
        result = run("clients", command, "nope", "--json")
        assert result.returncode != 0 and "no client" in result.stderr


def test_dpop_mode_and_par_requirement(run: Any) -> None:
    created = ok(
        run(
            "clients",
            "create",
            "--name",
            "Bound App",
            "--redirect-uri",
            "https://bound.example/cb",
            "--scope",
            "read:orders",
            "--dpop",
            "required",
            "--require-par",
            "--json",
        )
    )
    assert created["dpop"] == "required"
    assert created["require_par"] is True
    client_id = created["client_id"]
    listed = ok(run("clients", "list", "--json"))["clients"]
    shown = next(row for row in listed if row["client_id"] == client_id)
    assert (shown["dpop"], shown["require_par"]) == ("required", True)

    updated = ok(run("clients", "update", client_id, "--dpop", "off", "--no-require-par", "--json"))
    assert updated == {**shown, "dpop": "off", "require_par": False}
    kept = ok(run("clients", "update", client_id, "--require-par", "--json"))
    assert (kept["dpop"], kept["require_par"]) == ("off", True)

    human = run("clients", "update", client_id, "--dpop", "optional")
    assert human.returncode == 0 and "dpop=optional  par-required" in human.stdout
    bad = run("clients", "update", client_id, "--dpop", "sometimes")
    assert bad.returncode != 0 and "--dpop must be one of off, optional, required" in bad.stderr
    missing = run("clients", "update", "nosuchclient", "--dpop", "off")
    assert missing.returncode != 0
