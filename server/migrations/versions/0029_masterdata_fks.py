"""master data: one composite foreign key per child row, (parent id, environment id) -> parent

A child row (a supplier's identifier or bank account, an administration's identifier, an order, an
order line, a goods receipt, a matching rule) had two foreign keys, its parent and `environments`; every
check costs PostgreSQL about 3.5 us of a COPYed row. Now it has one, (parent id, environment id) ->
parent (id, environment id), which also refuses a child in another environment than its parent. The
parents get the unique index on (id, environment_id) that such a key refers to. `audit_details` loses
its key to `environments`: detail rows are written only beside their batch entry in `audit_events`
(which keeps its key) and environments are never deleted.

On SQLite the children are rebuilt (batch mode). Rebuilding `purchase_orders` and `order_lines` drops
the old tables, which with foreign keys enforced would delete their children (ON DELETE CASCADE), so
this revision refuses to run on SQLite with enforcement on while they hold rows; server.migrate runs
every SQLite migration with enforcement off and checks all keys before it commits.

Revision ID: 0029_masterdata_fks
Revises: 0028_import_codes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029_masterdata_fks"
down_revision = "0028_import_codes"
branch_labels = None
depends_on = None

PARENTS = ("suppliers", "administrations", "purchase_orders", "order_lines")
# child table, its parent column, parent table, ON DELETE, whether its own key to environments stays
CHILDREN = (
    ("supplier_identifiers", "supplier_id", "suppliers", "CASCADE", False),
    ("supplier_bank_accounts", "supplier_id", "suppliers", "CASCADE", False),
    ("administration_identifiers", "administration_id", "administrations", "CASCADE", False),
    ("purchase_orders", "supplier_id", "suppliers", None, False),
    ("purchase_orders", "administration_id", "administrations", None, False),
    ("order_lines", "order_id", "purchase_orders", "CASCADE", False),
    ("goods_receipts", "order_line_id", "order_lines", "CASCADE", False),
    ("matching_rules", "supplier_id", "suppliers", "CASCADE", True),  # a rule may have no supplier
)
REBUILT_PARENTS = ("purchase_orders", "order_lines")  # children on SQLite whose own children cascade
# Names as the models' naming convention (server.db.NAMING) gives them; a composite key keeps its
# first column's name, so the old and the new key to a parent share one.
AUDIT_FK = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def _refuse_cascading_rebuild() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return
    for table in REBUILT_PARENTS:
        if bind.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first():
            raise RuntimeError(f"0029 rebuilds {table}; with SQLite's foreign keys enforced that deletes its "
                               "children: run it through server.migrate (stroom db upgrade)")


def _tables() -> dict[str, list[tuple[str, str, str | None]]]:
    """child table -> [(parent column, parent table, ON DELETE)] in CHILDREN's order."""
    tables: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, parent, ondelete, _ in CHILDREN:
        tables.setdefault(table, []).append((column, parent, ondelete))
    return tables


def _keeps_environment(table: str) -> bool:
    return any(keeps for child, *_, keeps in CHILDREN if child == table)


def upgrade() -> None:
    _refuse_cascading_rebuild()
    for parent in PARENTS:
        op.create_index(f"uq_{parent}_id_environment_id", parent, ["id", "environment_id"], unique=True)
    for table, keys in _tables().items():
        with op.batch_alter_table(table) as batch:
            if not _keeps_environment(table):
                batch.drop_constraint(_fk(table, "environment_id", "environments"), type_="foreignkey")
            for column, parent, ondelete in keys:
                batch.drop_constraint(_fk(table, column, parent), type_="foreignkey")
                batch.create_foreign_key(_fk(table, column, parent), parent, [column, "environment_id"],
                                         ["id", "environment_id"], ondelete=ondelete)
    _drop_audit_details_environment_key()


def downgrade() -> None:
    _refuse_cascading_rebuild()
    _add_audit_details_environment_key()
    for table, keys in _tables().items():
        with op.batch_alter_table(table) as batch:
            for column, parent, ondelete in keys:
                batch.drop_constraint(_fk(table, column, parent), type_="foreignkey")
                batch.create_foreign_key(_fk(table, column, parent), parent, [column], ["id"], ondelete=ondelete)
            if not _keeps_environment(table):
                batch.create_foreign_key(_fk(table, "environment_id", "environments"), "environments",
                                         ["environment_id"], ["id"])
    for parent in PARENTS:
        op.drop_index(f"uq_{parent}_id_environment_id", table_name=parent)


# audit_details: on SQLite its rebuild drops its append-only triggers (0025), so they are made again.
SQLITE_TRIGGERS = ("UPDATE", "DELETE")


def _sqlite_triggers(action: str) -> None:
    for verb in SQLITE_TRIGGERS:
        if action == "drop":
            op.execute(f"DROP TRIGGER IF EXISTS audit_details_no_{verb.lower()}")
        else:
            op.execute(f"CREATE TRIGGER audit_details_no_{verb.lower()} BEFORE {verb} ON audit_details "
                       f"BEGIN SELECT RAISE(ABORT, 'audit_details is append-only: {verb} refused'); END")


def _drop_audit_details_environment_key() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # 0025 left the key unnamed: PostgreSQL's default name
        for key in sa.inspect(bind).get_foreign_keys("audit_details"):
            op.drop_constraint(str(key["name"]), "audit_details", type_="foreignkey")
        return
    _sqlite_triggers("drop")
    with op.batch_alter_table("audit_details", naming_convention=AUDIT_FK) as batch:
        batch.drop_constraint(_fk("audit_details", "environment_id", "environments"), type_="foreignkey")
    _sqlite_triggers("create")


def _add_audit_details_environment_key() -> None:
    name = _fk("audit_details", "environment_id", "environments")
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(name, "audit_details", "environments", ["environment_id"], ["id"])
        return
    _sqlite_triggers("drop")
    with op.batch_alter_table("audit_details") as batch:
        batch.create_foreign_key(name, "environments", ["environment_id"], ["id"])
    _sqlite_triggers("create")
