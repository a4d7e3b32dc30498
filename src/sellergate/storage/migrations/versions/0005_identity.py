"""identity: sellers' upstream OpenID Connect accounts, pending upstream sign-ins, spent logout
tokens, and the upstream session id of a web session

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "seller_identities",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("last_signin_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_identities_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_seller_identities_issuer_subject")),
    )
    op.create_index("ix_seller_identities_seller", "seller_identities", ["seller_id"])
    op.create_table(
        "upstream_signins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("next_url", sa.String(length=2048), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_upstream_signins")),
    )
    op.create_index(op.f("ix_upstream_signins_expires_at"), "upstream_signins", ["expires_at"])
    op.create_table(
        "spent_logout_tokens",
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash", name=op.f("pk_spent_logout_tokens")),
    )
    op.create_index(
        op.f("ix_spent_logout_tokens_expires_at"), "spent_logout_tokens", ["expires_at"]
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("upstream_sid_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("upstream_sid_hash")
    op.drop_table("spent_logout_tokens")
    op.drop_table("upstream_signins")
    op.drop_table("seller_identities")
