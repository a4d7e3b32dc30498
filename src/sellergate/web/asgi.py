"""The ASGI entry point for ``uvicorn --factory sellergate.web.asgi:app_from_environment``."""

from __future__ import annotations

from starlette.applications import Starlette

from sellergate.config import load_settings
from sellergate.web.app import create_app


def app_from_environment() -> Starlette:
    return create_app(load_settings())
