"""Storage: SQLAlchemy 2 models, the engine factory, repositories and Alembic migrations."""
