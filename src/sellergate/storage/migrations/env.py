"""Alembic environment: runs against the engine handed in by ``sellergate.storage.migrate``."""

from __future__ import annotations

from alembic import context

import sellergate.storage.shop_models  # noqa: F401  (registers the shop tables)
from sellergate.storage.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
