"""``/secure-links/{link}``: a page with a Reveal button (GET consumes nothing) and the reveal."""

from __future__ import annotations

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sellergate.accounts import personal_tokens
from sellergate.accounts.leaks import record_token_revealed
from sellergate.accounts.secure_links import LinkState, RevealedSecret, inspect_link, reveal_link
from sellergate.errors import Gone, NotFound
from sellergate.storage.database import Database
from sellergate.web.addresses import client_address
from sellergate.web.errors import Shape, error_response
from sellergate.web.templates import PAGE_HEADERS, page
from sellergate.web.threads import in_thread


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def routes(db: Database) -> list[Route]:
    def inspect(link: str) -> LinkState:
        with db.session() as session:
            return inspect_link(session, link)

    def reveal(link: str, address: str) -> RevealedSecret:
        with db.session(write=True) as session:
            secret = reveal_link(session, link)
            if secret.purpose == personal_tokens.PURPOSE:
                record_token_revealed(session, db.settings, secret.secret, address)
            return secret

    async def show(request: Request) -> Response:
        link = request.path_params["link"]
        try:
            state = await in_thread(inspect, link)
        except NotFound as exc:
            return error_response(
                exc,
                Shape.PAGE,
                request=request,
                title="Link not found",
                message="This link does not exist. Check that it was copied whole.",
            )
        return page(
            request,
            "secure_link.html",
            410 if state.state != "ready" else 200,
            reveal_url=f"/secure-links/{link}/reveal",
            **asdict(state),
        )

    async def do_reveal(request: Request) -> Response:
        link = request.path_params["link"]
        try:
            address = client_address(request, db.settings.trusted_proxy_networks)
            secret = await in_thread(reveal, link, address)
        except (NotFound, Gone) as exc:
            if _wants_json(request):
                return error_response(exc, Shape.JSON)
            title = "Link not found" if isinstance(exc, NotFound) else "Link no longer valid"
            return error_response(
                exc, Shape.PAGE, request=request, title=title, message=f"Sorry: {exc.description}."
            )
        if _wants_json(request):
            return JSONResponse(
                asdict(secret),
                headers=PAGE_HEADERS,
            )
        return page(request, "secret.html", **asdict(secret))

    return [
        Route("/secure-links/{link}", show, methods=["GET"]),
        Route("/secure-links/{link}/reveal", do_reveal, methods=["POST"]),
    ]
