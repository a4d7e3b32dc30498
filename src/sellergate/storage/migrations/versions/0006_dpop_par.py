"""dpop and par: apps' DPoP mode and PAR requirement, key-bound tokens and codes, spent DPoP
proofs, pushed authorization requests

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column("dpop_mode", sa.String(length=10), nullable=False, server_default="optional")
        )
        batch.add_column(
            sa.Column("require_par", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    for table in ("access_tokens", "refresh_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("authorization_codes") as batch:
        batch.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    op.create_table(
        "spent_dpop_proofs",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_spent_dpop_proofs")),
    )
    op.create_index(op.f("ix_spent_dpop_proofs_expires_at"), "spent_dpop_proofs", ["expires_at"])
    op.create_table(
        "pushed_requests",
        sa.Column("uri_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_pushed_requests_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("uri_hash", name=op.f("pk_pushed_requests")),
    )
    op.create_index(op.f("ix_pushed_requests_expires_at"), "pushed_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_table("pushed_requests")
    op.drop_table("spent_dpop_proofs")
    with op.batch_alter_table("authorization_codes") as batch:
        batch.drop_column("dpop_jkt")
    for table in ("refresh_tokens", "access_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("jkt")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("require_par")
        batch.drop_column("dpop_mode")
