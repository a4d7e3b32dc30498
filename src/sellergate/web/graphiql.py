"""The GraphiQL page served on GET outside production."""

from starlette.responses import HTMLResponse

GRAPHIQL_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sellergate GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css">
</head><body style="margin:0;height:100vh">
<div id="graphiql" style="height:100vh"></div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
const token = window.localStorage.getItem("sellergate-token") || prompt("Personal API token");
if (token) window.localStorage.setItem("sellergate-token", token);
const fetcher = GraphiQL.createFetcher({url: window.location.pathname,
  headers: {Authorization: "Bearer " + token}});
ReactDOM.createRoot(document.getElementById("graphiql"))
  .render(React.createElement(GraphiQL, {fetcher}));
</script></body></html>
"""


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(GRAPHIQL_HTML)
