"""trust: audit hash chain, approval digests, quarantined alerts, the webhook inbox

- ``audit_log`` gains ``prev_hash``/``row_hash`` (rows already there are chained in id order) and,
  on SQLite, a trigger refusing an insert over an existing id (``INSERT OR REPLACE`` deletes the old
  row without firing the delete trigger). On PostgreSQL a group role ``incident_app`` is created when
  the migrating role may (superuser or CREATEROLE), else only granted to when it exists: every table
  read/write, but ``audit_log`` SELECT and INSERT only (no UPDATE, DELETE, TRUNCATE; not the owner, so
  no DISABLE TRIGGER). The README lists the same GRANTs for a DBA to run.
- ``actions`` gains ``approval_digest``.
- new tables ``quarantined_alerts`` and ``inbox``.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import incident.models
from incident.actions.chain import row_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "incident_app"

_SQLITE_NO_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)
_SQLITE_NO_REPLACE = (
    "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log"
    " WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)


def _audit_table() -> sa.Table:
    """audit_log as the chain reads it (the same types as the model, so values hash the same)."""
    return sa.Table(
        "audit_log",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", incident.models.UTCDateTime()),
        sa.Column("incident_id", sa.Integer()),
        sa.Column("action_id", sa.String(40)),
        sa.Column("who", sa.String(255)),
        sa.Column("what", sa.String(16)),
        sa.Column("detail", sa.JSON()),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("row_hash", sa.String(64)),
    )


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    table = _audit_table()
    prev: str | None = None
    for row in bind.execute(sa.select(table).order_by(table.c.id)).mappings().all():
        digest = row_hash(dict(row), prev)
        bind.execute(table.update().where(table.c.id == row["id"]).values(prev_hash=prev, row_hash=digest))
        prev = digest


def _postgres_app_role() -> None:
    bind = op.get_bind()
    exists = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE})
    if not exists:
        may = bind.scalar(sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
        if not may:
            return  # the README's GRANTs, run by a DBA, do the same
        op.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    schema = bind.scalar(sa.text("SELECT current_schema()"))
    for statement in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO {APP_ROLE}',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {APP_ROLE}',
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {APP_ROLE}",
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}',
    ):
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.add_column("actions", sa.Column("approval_digest", sa.String(length=64), nullable=True))

    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _chain_existing_rows()
        op.execute(_SQLITE_NO_UPDATE)
        op.execute(_SQLITE_NO_REPLACE)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        _chain_existing_rows()
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        _chain_existing_rows()

    op.create_table(
        "quarantined_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", incident.models.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_quarantined_alerts_received_at", "quarantined_alerts", ["received_at"], unique=False)

    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", incident.models.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("processed_at", incident.models.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inbox_status", "inbox", ["status"], unique=False)

    if dialect == "postgresql":
        _postgres_app_role()


def downgrade() -> None:
    """The role ``incident_app`` and its grants stay (roles are shared by every database of a cluster)."""
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_inbox_status", table_name="inbox")
    op.drop_table("inbox")
    op.drop_index("ix_quarantined_alerts_received_at", table_name="quarantined_alerts")
    op.drop_table("quarantined_alerts")
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
        # native DROP COLUMN (SQLite >= 3.35) keeps the table, and so the 0003 triggers
        for table, column in (("actions", "approval_digest"), ("audit_log", "row_hash"), ("audit_log", "prev_hash")):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    op.drop_column("actions", "approval_digest")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
