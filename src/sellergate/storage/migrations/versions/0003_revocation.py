"""revocation: grant revocation reasons, refresh-token chains, pending authorization requests

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", ID, nullable=True))
        batch_op.add_column(sa.Column("access_token_id", ID, nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_refresh_tokens_parent_id"), ["parent_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_refresh_tokens_parent_id_refresh_tokens"),
            "refresh_tokens",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_refresh_tokens_access_token_id_access_tokens"),
            "access_tokens",
            ["access_token_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "authorization_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("reference_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_authorization_requests_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_authorization_requests_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_requests")),
        sa.UniqueConstraint(
            "reference_hash", name=op.f("uq_authorization_requests_reference_hash")
        ),
    )


def downgrade() -> None:
    op.drop_table("authorization_requests")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_refresh_tokens_access_token_id_access_tokens"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_refresh_tokens_parent_id_refresh_tokens"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_refresh_tokens_parent_id"), type_="unique")
        batch_op.drop_column("access_token_id")
        batch_op.drop_column("parent_id")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("revoked_reason")
