"""RFC 8414: authorization server metadata at ``/.well-known/oauth-authorization-server``."""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from sellergate.config import Settings
from sellergate.oauth.dpop import ALGORITHMS
from sellergate.oauth.models import CONFIDENTIAL_AUTH_METHODS, GRANT_TYPES
from sellergate.oauth.pkce import METHOD
from sellergate.scopes import OAUTH_SCOPES, Scope

WELL_KNOWN_PATH = "/.well-known/oauth-authorization-server"
BASE = "/seller-api/rest/oauth"
AUTHORIZE_PATH = f"{BASE}/authorize"
TOKEN_PATH = f"{BASE}/token"
REVOKE_PATH = f"{BASE}/revoke"
INTROSPECT_PATH = f"{BASE}/introspect"
PAR_PATH = f"{BASE}/par"


def metadata(settings: Settings) -> AuthorizationServerMetadata:
    """§2: the issuer is the public URL; every endpoint is named under it.

    Authlib's model of the document checks it against RFC 8414 (required fields, the issuer
    without query or fragment, ``code`` among the response types...) when the app is built, so a
    setting that would publish an invalid document stops the server instead.
    """
    issuer = settings.public_url
    token_auth = [*CONFIDENTIAL_AUTH_METHODS, "none"]
    document = AuthorizationServerMetadata(
        {
            "issuer": issuer,
            "authorization_endpoint": issuer + AUTHORIZE_PATH,
            "token_endpoint": issuer + TOKEN_PATH,
            "revocation_endpoint": issuer + REVOKE_PATH,
            "introspection_endpoint": issuer + INTROSPECT_PATH,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": [METHOD],
            "token_endpoint_auth_methods_supported": token_auth,
            "revocation_endpoint_auth_methods_supported": token_auth,
            "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_AUTH_METHODS),
            "scopes_supported": [scope.value for scope in Scope if scope in OAUTH_SCOPES],
            # RFC 9449 §5.1
            "dpop_signing_alg_values_supported": list(ALGORITHMS),
            # RFC 9126 §5
            "pushed_authorization_request_endpoint": issuer + PAR_PATH,
            "require_pushed_authorization_requests": settings.require_par,
            # RFC 9207 §3
            "authorization_response_iss_parameter_supported": True,
        }
    )
    document.validate()
    return document
