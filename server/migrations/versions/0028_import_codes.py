"""masterdata_imports.refused_count: how many rows an import refused (the kept list stops at 1,000)

Refused rows are now stored as {"line", "problems": [{field, code, values, message}]}; imports ended
before this revision keep their flat {"line", "field", "message"} entries and a NULL count, which
server.masterdata.problems.refused_rows reads as they are (grouped by line, counted from the list).

Revision ID: 0028_import_codes
Revises: 0025_masterdata_speed
"""
import sqlalchemy as sa
from alembic import op

revision = "0028_import_codes"
down_revision = "0026_match_reason_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("masterdata_imports") as table:
        table.add_column(sa.Column("refused_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("masterdata_imports") as table:
        table.drop_column("refused_count")
