"""Print the Seller API schema as SDL: ``python -m sellergate.api.export > schema.graphql``."""

from __future__ import annotations

import sys

from sellergate.api.schema import build_schema


def sdl() -> str:
    return str(build_schema()) + "\n"


if __name__ == "__main__":
    sys.stdout.write(sdl())
