"""sign-in: login attempt counters, server-side sessions, the security log, leak reports

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempts")),
    )
    op.create_index(op.f("ix_login_attempts_expires_at"), "login_attempts", ["expires_at"])
    op.create_table(
        "web_sessions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("last_seen_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("ends_at", _time(), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_web_sessions_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_web_sessions_id_hash")),
    )
    op.create_index(op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"])
    op.create_index("ix_web_sessions_seller", "web_sessions", ["seller_id"])
    op.create_table(
        "security_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("seller_id", ID, nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_security_events_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(op.f("ix_security_events_created_at"), "security_events", ["created_at"])
    op.create_index("ix_security_events_seller", "security_events", ["seller_id", "id"])
    op.create_table(
        "leak_reports",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leak_reports")),
        sa.UniqueConstraint("body_hash", name=op.f("uq_leak_reports_body_hash")),
    )
    op.create_index(op.f("ix_leak_reports_created_at"), "leak_reports", ["created_at"])


def downgrade() -> None:
    op.drop_table("leak_reports")
    op.drop_table("security_events")
    op.drop_table("web_sessions")
    op.drop_table("login_attempts")
