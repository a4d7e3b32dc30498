"""``sellergate audit list``, ``tokens report-leak`` and the platform's events in the log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from sellergate.accounts.audit import EventKind
from sellergate.accounts.leaks import pending_replacements, record_token_revealed
from sellergate.accounts.secure_links import reveal_link
from sellergate.accounts.sellers import get_seller
from sellergate.cli.main import app
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.tokens.format import TokenKind, generate

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, db: Database) -> Any:
    environment = {
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
    }

    def invoke(*args: str, stdin: str = "", code: int = 0) -> dict[str, Any]:
        result = runner.invoke(app, [*args, "--json"], input=stdin, env=environment)
        assert result.exit_code == code, (result.output, result.exception)
        data: dict[str, Any] = json.loads(result.stdout) if code == 0 else {}
        return data

    return invoke


def test_platform_actions_are_logged_once_and_listed(cli: Any, db: Database) -> None:
    cli(
        "sellers",
        "create",
        "carol",
        "--email",
        "c@example.com",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    issued = cli("tokens", "issue", "carol", "--label", "ci")
    rotated = cli("tokens", "rotate", str(issued["token_id"]))
    cli("tokens", "revoke", str(rotated["token_id"]))
    client = cli(
        "clients",
        "create",
        "--name",
        "Acme",
        "--redirect-uri",
        "https://acme.example/cb",
        "--scope",
        "read:orders",
    )
    cli("clients", "rotate-secret", client["client_id"])
    cli("clients", "disable", client["client_id"])

    events = cli("audit", "list")["events"]
    kinds = [event["kind"] for event in events]
    assert kinds == [
        EventKind.CLIENT_DISABLED,
        EventKind.CLIENT_SECRET_ROTATED,
        EventKind.TOKEN_REVOKED,
        EventKind.TOKEN_ROTATED,
        EventKind.TOKEN_ISSUED,
    ]
    assert {event["actor"] for event in events} == {"platform"}
    assert events[0]["app"] == client["client_id"] and events[0]["seller"] is None
    assert events[-1]["seller"] == "carol"
    assert events[-1]["details"] == {"token_id": issued["token_id"], "label": "ci"}
    assert set(events[0]) == {"id", "time", "kind", "seller", "app", "actor", "address", "details"}
    dump = json.dumps(events)
    for link in (issued["secure_link"], rotated["secure_link"]):
        assert link.rsplit("/", 1)[1] not in dump

    assert [e["kind"] for e in cli("audit", "list", "--seller", "carol")["events"]] == kinds[2:]
    assert len(cli("audit", "list", "--limit", "2")["events"]) == 2
    assert len(cli("audit", "list", "--since", "1h")["events"]) == 5
    cli("audit", "list", "--since", "yesterday", code=1)
    cli("audit", "list", "--seller", "nobody", code=1)


def test_report_leak_rotates_a_live_personal_token(
    cli: Any, db: Database, settings: Settings
) -> None:
    cli(
        "sellers",
        "create",
        "dave",
        "--email",
        "d@example.com",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    issued = cli("tokens", "issue", "dave")
    with db.session(write=True) as session:
        token = reveal_link(session, issued["secure_link"].rsplit("/", 1)[1]).secret
    # Regression: a URL naming a token prefix once crashed the security-log write.
    url = "https://paste.example/wn_access_tk_dump"
    result = cli("tokens", "report-leak", "--url", url, stdin=token + "\n")
    assert result["ours"] is True
    assert result["token_id"] == issued["token_id"]
    assert result["outcome"] == "rotated"
    assert result["secure_link"].startswith("http://127.0.0.1:8000/secure-links/")
    # The seller's dashboard offers the replacement until its link is opened.
    with db.session() as session:
        seller_id = get_seller(session, "dave").id
        pending = pending_replacements(session, seller_id)
    assert [p.token_id for p in pending] == [result["new_token_id"]]
    with db.session(write=True) as session:
        revealed = reveal_link(session, result["secure_link"].rsplit("/", 1)[1]).secret
        record_token_revealed(session, settings, revealed, "127.0.0.1")
    with db.session() as session:
        assert pending_replacements(session, seller_id) == []
    again = cli("tokens", "report-leak", stdin=token + "\n")
    assert again["outcome"] == "already_dead" and again["secure_link"] is None
    foreign = cli("tokens", "report-leak", stdin=generate(TokenKind.ACCESS, staging=True))
    assert foreign == {
        "ours": False,
        "token_id": None,
        "token_type": None,
        "outcome": "not_ours",
        "new_token_id": None,
        "secure_link": None,
        "link_expires_at": None,
    }
    cli("tokens", "report-leak", stdin="\n", code=1)
    events = cli("audit", "list", "--seller", "dave")["events"]
    leaked = [e for e in events if e["kind"] == EventKind.TOKEN_LEAKED]
    assert [e["details"]["outcome"] for e in leaked] == ["already_dead", "rotated"]
    assert leaked[1]["details"]["url"] == "https://paste.example/wn_access_tk_[redacted]"
    assert token not in json.dumps(events)
