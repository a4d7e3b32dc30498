"""The GraphiQL page served on GET outside production.

Self-contained: GraphiQL, React and ReactDOM are served from ``/static/graphiql`` (vendored
builds with their licence files), so the page works offline and loads nothing from elsewhere.
The page asks for a token and keeps it in a JavaScript closure for its own lifetime only. A
strict Content-Security-Policy allows scripts only from this server; GraphiQL's stylesheet
embeds its fonts and icons as ``data:`` URLs and its editor sets inline styles, which is all the
policy allows beyond that.
"""

from __future__ import annotations

from starlette.responses import HTMLResponse

ASSETS = "/static/graphiql"

GRAPHIQL_HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sellergate GraphiQL</title>
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
<link rel="stylesheet" href="/static/site.css">
</head><body style="margin:0;height:100vh">
<form id="token-form" class="card narrow" autocomplete="off">
  <h1>Seller API explorer</h1>
  <p>Paste a personal API token. It stays in this page only and is gone when you leave it.</p>
  <label for="token">Token</label>
  <input id="token" name="token" type="password" required autofocus>
  <button type="submit">Open GraphiQL</button>
</form>
<div id="graphiql" style="height:100vh" hidden></div>
<script src="{ASSETS}/react.production.min.js"></script>
<script src="{ASSETS}/react-dom.production.min.js"></script>
<script src="{ASSETS}/graphiql.min.js"></script>
<script src="{ASSETS}/start.js"></script>
</body></html>
"""

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(GRAPHIQL_HTML, headers=HEADERS)
