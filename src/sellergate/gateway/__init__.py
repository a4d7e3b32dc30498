"""The forward-authentication decision for the marketplace's own API (docs/gateway.md).

A gateway (nginx ``auth_request``, Traefik ``ForwardAuth``, Envoy ``ext_authz``) asks, for every
request, whether its bearer token may make it: :mod:`.paths` turns the original request's path
into one canonical spelling (or refuses an ambiguous one), :mod:`.routes` reads the routes file
and finds the first route that matches, :mod:`.decision` checks the token's scopes against it and
says which identity headers the upstream gets. Nothing here knows about HTTP frameworks.
"""
