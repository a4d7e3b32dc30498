"""The OAuth test fixtures (registered apps, a seller's browser, the flow) for the web tests."""

from oauth.conftest import app, browser, flow, register

__all__ = ["app", "browser", "flow", "register"]
