"""``POST /secret-scanning/report``: leak reports from secret scanners (see
:mod:`sellergate.accounts.leak_reports` for the format). Off (404) until keys are configured."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sellergate.accounts.leak_reports import (
    ReportedToken,
    ReportVerifier,
    parse_report,
    process_report,
)
from sellergate.config import Settings
from sellergate.errors import BadRequest, NotFound, SellergateError
from sellergate.storage.database import Database
from sellergate.web.body import BodyTooLarge, read_limited
from sellergate.web.errors import Shape, error_response
from sellergate.web.threads import in_thread

REPORT_PATH = "/secret-scanning/report"
KEY_HEADER = "github-public-key-identifier"
SIGNATURE_HEADER = "github-public-key-signature"
NO_STORE = {"Cache-Control": "no-store"}


def routes(settings: Settings, db: Database) -> list[Route]:
    verifier = ReportVerifier(settings)

    def process(body: bytes, reported: list[ReportedToken]) -> list[dict[str, str]]:
        with db.session(write=True) as session:
            return process_report(session, settings, body, reported)

    async def report(request: Request) -> Response:
        if not verifier.enabled:
            return error_response(
                NotFound("leak reports are not enabled on this server"), Shape.JSON
            )
        try:
            body = await read_limited(request, settings.max_body_bytes)
        except BodyTooLarge:
            return error_response(BadRequest("the report is too large", status=413), Shape.JSON)
        try:
            verifier.verify(
                request.headers.get(KEY_HEADER, ""),
                request.headers.get(SIGNATURE_HEADER, ""),
                body,
            )
            reported = parse_report(body)
            answer = await in_thread(process, body, reported)
        except SellergateError as exc:
            return error_response(exc, Shape.JSON)
        return JSONResponse(answer, headers=NO_STORE)

    return [Route(REPORT_PATH, report, methods=["POST"])]
