"""``sellergate demo``: the newcomer's path, on the embedded database."""

from __future__ import annotations

import json
import os
import secrets

import typer

from sellergate.accounts.personal_tokens import issue_token
from sellergate.accounts.sellers import create_seller, find_seller
from sellergate.cli.context import open_database
from sellergate.cli.output import JSON_OPTION
from sellergate.cli.serve import run_server
from sellergate.config import load_settings

DEMO_USER = "demo"
DEMO_EMAIL = "demo@example.com"


def demo(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Seed a demo seller, print how to get a token and call the API, then serve."""
    public_url = f"http://{host}:{port}"
    settings = load_settings(public_url=public_url)
    db = open_database(settings)
    try:
        with db.session(write=True) as session:
            password_file = settings.data_dir / "demo-password"
            if find_seller(session, DEMO_USER) is None:
                password = secrets.token_urlsafe(12)
                create_seller(session, DEMO_USER, DEMO_EMAIL, password)
                password_file.write_text(password)
                password_file.chmod(0o600)
            password = password_file.read_text().strip() if password_file.exists() else "?"
            issued = issue_token(session, settings, DEMO_USER, label="demo")
    finally:
        db.dispose()
    link = issued.link.url(public_url)
    info = {
        "url": public_url,
        "graphql_url": f"{public_url}/seller-api/graphql",
        "login": {"username": DEMO_USER, "password": password},
        "secure_link": link,
        "database": settings.sqlalchemy_url,
    }
    if as_json:
        typer.echo(json.dumps(info))
    else:
        typer.echo(_steps(public_url, password, link, str(info["database"])))
    os.environ["SELLERGATE_PUBLIC_URL"] = public_url
    run_server(host, port, 1, settings.log_level)


def _steps(public_url: str, password: str, link: str, database: str) -> str:
    graphql = f"{public_url}/seller-api/graphql"
    return f"""
sellergate demo is starting on {public_url}  (database: {database})
Demo seller login: {DEMO_USER} / {password}

1. Reveal your personal API token (once!) in a browser:
     {link}
   or from the shell:
     TOKEN=$(curl -s -X POST -H 'Accept: application/json' {link}/reveal \\
             | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

2. Call the Seller API with it:
     curl -s {graphql} -H "Authorization: Bearer $TOKEN" \\
          -H 'Content-Type: application/json' -d '{{"query": "{{ me {{ id username }} }}"}}'

Press Ctrl+C to stop.
"""
