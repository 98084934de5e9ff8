"""alert instances: an alert row is one firing, unique on (source, fingerprint, starts_at)

Alertmanager names an alert by its label fingerprint; the same alert firing again after it
resolved carries a new ``startsAt``. Unique on (source, fingerprint) alone, a recurrence could
only be filed under the first, resolved incident.

SQLite cannot drop the unnamed constraint of 0001, so the table is recreated from its full new
definition (every row copied). PostgreSQL drops the auto-named constraint it finds by inspection.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import incident.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_COLUMNS = ["source", "fingerprint"]
NEW_COLUMNS = ["source", "fingerprint", "starts_at"]
NEW_NAME = "uq_alerts_instance"


def _alerts_table(unique: sa.UniqueConstraint) -> sa.Table:
    """The alerts table as 0001 made it, with ``unique`` as its only unique constraint."""
    metadata = sa.MetaData()
    sa.Table("incidents", metadata, sa.Column("id", sa.Integer(), primary_key=True))  # the foreign key's target
    return sa.Table(
        "alerts",
        metadata,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("component", sa.String(length=255), nullable=True),
        sa.Column("severity", sa.String(length=32), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("starts_at", incident.models.UTCDateTime(), nullable=False),
        sa.Column("ends_at", incident.models.UTCDateTime(), nullable=True),
        sa.Column("updated_at", incident.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        unique,
        sa.Index("ix_alerts_incident_id", "incident_id"),
    )


def _unique_names(columns: list[str]) -> list[str]:
    """Names of the unique constraints on exactly ``columns`` (PostgreSQL names them itself)."""
    found = sa.inspect(op.get_bind()).get_unique_constraints("alerts")
    return [c["name"] for c in found if list(c["column_names"]) == columns and c["name"]]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        new = _alerts_table(sa.UniqueConstraint(*NEW_COLUMNS, name=NEW_NAME))
        with op.batch_alter_table("alerts", recreate="always", copy_from=new):
            pass
        return
    for name in _unique_names(OLD_COLUMNS):
        op.drop_constraint(name, "alerts", type_="unique")
    op.create_unique_constraint(NEW_NAME, "alerts", NEW_COLUMNS)


def downgrade() -> None:
    """Best effort: refused (nothing changed) while an alert has more than one instance stored."""
    repeated = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM (SELECT 1 FROM alerts GROUP BY source, fingerprint HAVING count(*) > 1) r")
    )
    if repeated:
        raise RuntimeError(
            f"cannot downgrade below 0005: {repeated} alert(s) fired more than once and are stored once per firing;"
            " the old schema allows one row per fingerprint"
        )
    if op.get_bind().dialect.name == "sqlite":
        old = _alerts_table(sa.UniqueConstraint(*OLD_COLUMNS))
        with op.batch_alter_table("alerts", recreate="always", copy_from=old):
            pass
        return
    op.drop_constraint(NEW_NAME, "alerts", type_="unique")
    op.create_unique_constraint("alerts_source_fingerprint_key", "alerts", OLD_COLUMNS)
