"""The OAuth 2.0 authorization server, on Authlib, free of any web framework.

``requests``            the request and response values the web adapter exchanges with us
``models``              Authlib's client / code / token interfaces over our rows
``pkce``                RFC 7636, ``S256`` only
``authorization_code``  RFC 6749 §4.1: the authorization code grant
``refresh_token``       RFC 6749 §6: rotating refresh tokens with reuse detection
``revocation``          RFC 7009
``introspection``       RFC 7662
``metadata``            RFC 8414
``storage``             the interfaces through which the core reaches stored state
``server``              the server that ties them together, one per request and storage
"""
