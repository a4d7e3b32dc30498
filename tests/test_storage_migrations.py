"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL, both ways."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any, cast

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect

import sellergate.storage
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import alembic_config, upgrade
from sellergate.storage.models import Base


def _import_all_models() -> MetaData:
    """Import every ``sellergate.storage`` module named ``...models`` so all tables register."""
    for info in pkgutil.walk_packages(
        sellergate.storage.__path__, prefix="sellergate.storage.", onerror=lambda _name: None
    ):
        if ".migrations" in info.name:
            continue
        if info.name.rsplit(".", 1)[-1].endswith("models"):
            importlib.import_module(info.name)
    return Base.metadata


METADATA = _import_all_models()


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "render_as_batch": conn.dialect.name == "sqlite",
            },
        )
        diffs: list[Any] = compare_metadata(context, METADATA)
    return diffs


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.fixture
def empty_db(settings: Settings) -> Iterator[Database]:
    opened = Database(settings)
    yield opened
    opened.dispose()


def test_model_modules_are_found() -> None:
    assert "sellers" in METADATA.tables
    assert "access_tokens" in METADATA.tables


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config(cast(Engine, None)))
    assert len(script.get_heads()) == 1, f"several migration heads: {script.get_heads()}"
    assert len(script.get_bases()) == 1, f"several migration bases: {script.get_bases()}"


def test_upgrade_from_empty_builds_every_model_table(empty_db: Database) -> None:
    engine = empty_db.engine
    assert _tables(engine) == set()
    upgrade(engine)
    missing = set(METADATA.tables) - _tables(engine)
    assert not missing, f"tables the models define but no migration creates: {sorted(missing)}"
    assert "alembic_version" in _tables(engine)


def test_migrated_schema_matches_models(empty_db: Database) -> None:
    upgrade(empty_db.engine)
    diffs = _differences(empty_db.engine)
    assert diffs == [], (
        "the migrations and the models disagree; write a migration "
        "(alembic revision --autogenerate) covering:\n" + "\n".join(map(repr, diffs))
    )


def test_downgrade_to_base_and_upgrade_again(empty_db: Database) -> None:
    engine = empty_db.engine
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert _tables(engine) <= {"alembic_version"}, (
        f"downgrade to base left tables behind: {sorted(_tables(engine) - {'alembic_version'})}"
    )
    upgrade(engine)
    assert set(METADATA.tables) <= _tables(engine)
    assert _differences(engine) == []


def test_each_step_downgrades_and_upgrades(empty_db: Database) -> None:
    """Walk the history one revision at a time: every downgrade() undoes its upgrade()."""
    engine = empty_db.engine
    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        upgrade(engine, revision)
        command.downgrade(config, "-1")
        upgrade(engine, revision)
    assert _differences(engine) == []
