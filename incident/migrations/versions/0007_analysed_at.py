"""incidents.analysed_at: when the analyzer last ran on the incident's timeline

Whether an incident still needs an analysis after a restart was read from its hypotheses; an
incident whose analysis finds nothing has none, so every start analysed it again. Incidents with
analyzer hypotheses are backfilled with their newest one's time.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import incident.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("analysed_at", incident.models.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE incidents SET analysed_at = (SELECT max(h.updated_at) FROM hypotheses h"
        " WHERE h.incident_id = incidents.id AND h.source = 'analyzer')"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("analysed_at")
