"""The HTTP layer: a thin Starlette app over the domain and protocol layers."""
