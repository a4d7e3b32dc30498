"""The ``sellergate`` command line, run in-process through its entry point (and through the
installed script where the entry point itself is what is tested)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from cliinvoke import Result, invoke, invoke_subprocess
from sellergate.config import Settings
from sellergate.storage.database import Database


def _env(settings: Settings, env: dict[str, str] | None) -> dict[str, str]:
    return {
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
        **(env or {}),
    }


def run(
    settings: Settings, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> Result:
    return invoke(list(args), env=_env(settings, env), stdin=stdin)


def run_script(directory: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """Through the installed console script: the entry point end to end. For what happens
    before any database is opened: the settings name an SQLite file that is never created."""
    settings = {
        "SELLERGATE_DATABASE_URL": f"sqlite:///{directory / 'unused.db'}",
        "SELLERGATE_DATA_DIR": str(directory),
    }
    return invoke_subprocess(list(args), env={**settings, **(env or {})})


def ok(settings: Settings, *args: str, stdin: str = "") -> dict[str, object]:
    result = run(settings, *args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_personal_token_lifecycle(settings: Settings, http: httpx.Client) -> None:
    assert ok(settings, "db", "upgrade")["revision"]
    created = ok(
        settings,
        "sellers",
        "create",
        "carol",
        "--email",
        "c@example.com",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    assert created["username"] == "carol"

    issued = ok(settings, "tokens", "issue", "carol", "--label", "shop sync", "--expires-in", "30d")
    assert set(issued) == {"token_id", "secure_link", "link_expires_at"}
    link = str(issued["secure_link"]).removeprefix(settings.public_url)
    token = http.post(f"{link}/reveal", headers={"Accept": "application/json"}).json()["secret"]
    assert token.startswith("wn_access_tk_test_")

    def me(bearer: str) -> int:
        return http.post(
            "/seller-api/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {bearer}"},
        ).status_code

    assert me(token) == 200
    listed = ok(settings, "tokens", "list", "carol")["tokens"]
    assert isinstance(listed, list) and len(listed) == 1
    assert listed[0]["last4"] == token[-4:]
    assert listed[0]["label"] == "shop sync"
    assert token not in json.dumps(listed)

    rotated = ok(settings, "tokens", "rotate", str(issued["token_id"]))
    assert rotated["replaced_token_id"] == issued["token_id"]
    assert me(token) == 401

    revoked = ok(settings, "tokens", "revoke", str(rotated["token_id"]))
    assert revoked["token_id"] == rotated["token_id"] and revoked["revoked_at"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("tokens", "issue", "nobody"), "", "no seller named 'nobody'"),
        (("tokens", "issue", "dave", "--expires-in", "soon"), "", "not a duration"),
        (("tokens", "rotate", "999"), "", "no personal token with id 999"),
        (("tokens", "revoke", "999"), "", "no personal token with id 999"),
        (
            ("sellers", "create", "Bad Name", "--email", "x@example.com", "--password-stdin"),
            "password123\n",
            "username must be",
        ),
        (
            ("sellers", "create", "eve", "--email", "not-an-email", "--password-stdin"),
            "password123\n",
            "not an email address",
        ),
        (
            ("sellers", "create", "eve", "--email", "e@example.com", "--password-stdin"),
            "short\n",
            "password must be",
        ),
        (
            ("sellers", "create", "dave", "--email", "d@example.com", "--password-stdin"),
            "password123\n",
            "already exists",
        ),
    ],
)
def test_errors_are_one_line_on_stderr(
    db: Database, settings: Settings, args: tuple[str, ...], stdin: str, message: str
) -> None:
    ok(
        settings,
        "sellers",
        "create",
        "dave",
        "--email",
        "d@example.com",
        "--password-stdin",
        stdin="password123\n",
    )
    result = run(settings, *args, "--json", stdin=stdin)
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_configuration_is_one_line(tmp_path: Path) -> None:
    result = run_script(tmp_path, "tokens", "list", "x", env={"SELLERGATE_ENV": "prod"})
    assert result.returncode == 2
    assert result.stderr.startswith("sellergate: error: configuration: SELLERGATE_ENV")
    assert "Traceback" not in result.stderr


def test_help_explains_commands(tmp_path: Path) -> None:
    result = run_script(tmp_path, "tokens", "issue", "--help")
    assert result.returncode == 0
    assert "--expires-in" in result.stdout and "secure link" in result.stdout
