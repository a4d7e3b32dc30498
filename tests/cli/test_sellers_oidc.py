"""``sellers create --oidc-subject``, ``sellers link`` and ``sellers list``: sellers who sign in
through the marketplace's OpenID provider, linked by subject; every command with ``--json``."""

from __future__ import annotations

import json

from cliinvoke import invoke
from sellergate.config import Settings
from sellergate.storage.database import Database

ISSUER = "https://accounts.example.test"


def run(settings: Settings, *args: str, stdin: str = "", issuer: bool = True) -> tuple[int, str]:
    env = {
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
    }
    if issuer:
        env.update(
            SELLERGATE_OIDC_ISSUER=ISSUER,
            SELLERGATE_OIDC_CLIENT_ID="sellergate",
            SELLERGATE_OIDC_CLIENT_SECRET="s3cret-s3cret",
        )
    result = invoke(list(args), env=env, stdin=stdin)
    return result.returncode, result.stdout if result.returncode == 0 else result.stderr


def test_create_link_and_list(settings: Settings, db: Database) -> None:
    code, out = run(settings, "sellers", "create", "olga", "--email", "o@example.com",
                    "--oidc-subject", "sub-olga", "--json")  # fmt: skip
    assert code == 0, out
    olga = json.loads(out)
    assert olga == {"seller_id": olga["seller_id"], "username": "olga", "oidc_subject": "sub-olga"}
    code, out = run(settings, "sellers", "create", "pete", "--email", "p@example.com",
                    "--password-stdin", "--json", stdin="a-long-password\n")  # fmt: skip
    assert code == 0, out
    code, out = run(settings, "sellers", "link", "pete", "--oidc-subject", "sub-pete", "--json")
    assert code == 0, out
    linked = json.loads(out)
    assert linked["username"] == "pete" and linked["oidc_subject"] == "sub-pete"
    assert isinstance(linked["seller_id"], int)
    code, out = run(settings, "sellers", "list", "--json")
    assert code == 0, out
    sellers = {s["username"]: s for s in json.loads(out)["sellers"]}
    assert sellers["olga"]["methods"] == ["oidc"]
    assert sellers["pete"]["methods"] == ["password", "oidc"]
    assert sellers["pete"]["email"] == "p@example.com"
    assert set(sellers["olga"]) == {"id", "username", "email", "created", "methods"}


def test_a_subject_links_one_seller_only_and_bad_input_changes_nothing(
    settings: Settings, db: Database
) -> None:
    assert run(settings, "sellers", "create", "quinn", "--email", "q@example.com",
               "--oidc-subject", "shared", "--json")[0] == 0  # fmt: skip
    code, err = run(settings, "sellers", "create", "rita", "--email", "r@example.com",
                    "--oidc-subject", "shared", "--json")  # fmt: skip
    assert code != 0 and "already linked" in err
    code, err = run(settings, "sellers", "create", "sam", "--email", "s@example.com",
                    "--oidc-subject", "x", "--password-stdin", stdin="long-password\n")  # fmt: skip
    assert code != 0 and "not both" in err
    code, err = run(settings, "sellers", "create", "tom", "--email", "t@example.com",
                    "--oidc-subject", "t", issuer=False)  # fmt: skip
    assert code != 0 and "SELLERGATE_OIDC_ISSUER" in err
    code, err = run(settings, "sellers", "link", "nobody", "--oidc-subject", "n")
    assert code != 0 and "nobody" in err
    code, out = run(settings, "sellers", "list", "--json")
    assert [s["username"] for s in json.loads(out)["sellers"]] == ["quinn"]
