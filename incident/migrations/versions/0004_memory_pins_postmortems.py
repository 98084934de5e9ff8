"""hypothesis verdicts, shared pins, postmortem drafts

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import incident.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hypotheses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("verdict_at", incident.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("verdict_note", sa.Text(), nullable=True))
    op.create_table(
        "pins",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("who", sa.String(length=255), nullable=False),
        sa.Column("at", incident.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id", "event_id"),
    )
    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("created_at", incident.models.UTCDateTime(), nullable=False),
        sa.Column("who", sa.String(length=255), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.create_index("ix_postmortems_incident", ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("postmortems", schema=None) as batch_op:
        batch_op.drop_index("ix_postmortems_incident")
    op.drop_table("postmortems")
    op.drop_table("pins")
    with op.batch_alter_table("hypotheses", schema=None) as batch_op:
        batch_op.drop_column("verdict_note")
        batch_op.drop_column("verdict_at")
        batch_op.drop_column("verdict_by")
