"""The upstream sign-in's settings are checked at start, with one clear line each."""

from __future__ import annotations

import pytest

from sellergate.config import ConfigError, Provisioning, load_settings

GOOD = {
    "oidc_issuer": "https://accounts.example.test",
    "oidc_client_id": "sellergate",
    "oidc_client_secret": "a-client-secret-value",
}


def test_defaults() -> None:
    settings = load_settings(**GOOD)
    assert settings.oidc_scopes == "openid profile email"
    assert settings.oidc_username_claim == "preferred_username"
    assert settings.oidc_provisioning is Provisioning.AUTO
    assert settings.password_login is True
    assert settings.oidc_button_name == "accounts.example.test"
    assert load_settings(**GOOD, oidc_display_name="Acme").oidc_button_name == "Acme"
    assert not load_settings().oidc_enabled


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**GOOD, "oidc_issuer": "accounts.example.test"}, "SELLERGATE_OIDC_ISSUER: must be"),
        ({**GOOD, "oidc_scopes": "profile email"}, "SELLERGATE_OIDC_SCOPES: must include openid"),
        ({**GOOD, "oidc_provisioning": "sometimes"}, "SELLERGATE_OIDC_PROVISIONING"),
        ({**GOOD, "oidc_username_claim": "a b"}, "SELLERGATE_OIDC_USERNAME_CLAIM"),
        ({**GOOD, "oidc_timeout_seconds": "0"}, "SELLERGATE_OIDC_TIMEOUT_SECONDS"),
        ({"oidc_issuer": GOOD["oidc_issuer"]}, "SELLERGATE_OIDC_CLIENT_ID and"),
        ({"password_login": "false"}, "SELLERGATE_PASSWORD_LOGIN=false needs"),
        (
            {
                **GOOD,
                "oidc_issuer": "http://accounts.example.test",
                "env": "production",
                "public_url": "https://sellers.example.test",
                "secret_key": "k" * 40,
            },
            "must be https:// in production",
        ),
    ],
)
def test_bad_values_are_one_line_errors(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(**values)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_client_secret_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(oidc_client_secret="super-secret-value", password_login="maybe")
    assert "super-secret-value" not in str(raised.value)
