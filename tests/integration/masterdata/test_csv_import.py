"""CSV import of every kind of master data, on SQLite and PostgreSQL: good files, bad rows, encodings.

Every file goes the one way every edge imports (`operations.masterdata.import_master_data`, run in
chunks by `masterdata.bulk`); a refused file imports nothing and names each bad line."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from server.errors import InvalidInput
from server.masterdata import service
from server.masterdata.models import GoodsReceipt, Supplier
from server.operations.masterdata import ImportView
from tests.integration.masterdata.conftest import Env, ImportFile, read

BULK_ROWS = 500
ALL_KINDS = ("suppliers", "bank_accounts", "administrations", "purchase_orders", "order_lines",
             "goods_receipts", "matching_rules")  # fmt: skip


def import_all(import_file: ImportFile) -> dict[str, ImportView]:
    results = {}
    for kind in ALL_KINDS:
        results[kind] = import_file(kind, read(f"{kind}.csv"))
        assert results[kind].status == "done", results[kind].refused
    return results


def test_importing_every_kind_creates_the_rows_with_normalised_keys(env: Env, import_file: ImportFile) -> None:
    results = import_all(import_file)
    assert {k: (r.created, r.updated) for k, r in results.items()} == {
        "suppliers": (3, 0), "bank_accounts": (3, 0), "administrations": (2, 0), "purchase_orders": (2, 0),
        "order_lines": (3, 0), "goods_receipts": (3, 0), "matching_rules": (2, 0),
    }  # fmt: skip
    jansen = service.supplier_by_code(env.session, "S001", environment_id=env.id)
    assert (jansen.normalised_name, jansen.postal_code, jansen.email) == (
        "jansen kantoorartikelen", "3511AB", "info@jansen.example"
    )
    assert sorted((i.scheme, i.value) for i in jansen.identifiers) == [
        ("0088", "8712345000016"), ("0106", "12345678"), ("VAT", "NL123456789B01")
    ]
    assert [(a.iban, a.preferred) for a in jansen.bank_accounts] == [
        ("NL91ABNA0417164300", True), ("NL44RABO0123456789", False)
    ]
    bakker = service.supplier_by_code(env.session, "S003", environment_id=env.id)
    assert (bakker.name, bakker.address_line1, bakker.normalised_name) == (
        "Bakker & Zonen, V.O.F.", "Dorpsstraat 3; achterom", "bakker zonen"
    )
    line = service.order_line_by_number(env.session, "6001001", "2", environment_id=env.id)
    assert (line.quantity, line.unit_price) == (Decimal(2), Decimal("1020.50"))
    assert service.order_by_number(env.session, "6001002", environment_id=env.id).status == "blocked"
    receipts = service.order_line_by_number(env.session, "6001001", "1", environment_id=env.id).receipts
    assert [(r.reference, r.quantity, r.received_on) for r in receipts] == [
        ("GR-1", Decimal(6), dt.date(2026, 2, 10)), ("GR-2", Decimal(4), dt.date(2026, 2, 12))
    ]
    rules = service.list_rules(env.session, environment_id=env.id)
    assert [(r.supplier_id, r.is_regex, r.review_via_workflow) for r in rules] == [
        (jansen.id, False, False), (None, True, True)
    ]


def test_importing_the_same_files_again_updates_instead_of_duplicating(env: Env, import_file: ImportFile) -> None:
    import_all(import_file)
    again = import_file("suppliers", read("suppliers.csv"))
    receipts = import_file("goods_receipts", read("goods_receipts.csv"))  # fmt: skip
    assert (again.created, again.updated, again.unchanged) == (receipts.created, receipts.updated,
                                                               receipts.unchanged) == (0, 0, 3)
    assert env.session.scalar(select(func.count()).select_from(Supplier)) == 3
    assert env.session.scalar(select(func.count()).select_from(GoodsReceipt)) == 3


def said(result: ImportView) -> list[tuple[object, ...]]:
    """Each refused problem as (line, field, code, English message)."""
    return [(e["line"], e["field"], e["code"], e["message"]) for e in result.refused]


def test_file_with_bad_rows_imports_nothing_and_counts_each_refused_row_once(env: Env,
                                                                              import_file: ImportFile) -> None:
    result = import_file("suppliers", read("suppliers_bad.csv"))
    env.session.commit()
    assert (result.created, result.updated, result.refused_count) == (0, 0, 3)  # line 4 has two problems
    assert [(row["line"], [(p["field"], p["code"], p["values"]) for p in row["problems"]])
            for row in result.refused_rows] == [
        (3, [("name", "missing_field", {})]),
        (4, [("country", "bad_country", {"value": "Nederland"}), ("email", "bad_email", {"value": "geen-mail"})]),
        (5, [("code", "duplicate_key", {"key": "S010", "first_line": 2})]),
    ]
    assert said(result) == [
        (3, "name", "missing_field", "is required"),
        (4, "country", "bad_country", "must be a two-letter ISO 3166 code"),
        (4, "email", "bad_email", "is not an e-mail address"),
        (5, "code", "duplicate_key", "repeats S010 of line 2"),
    ]
    assert env.session.scalar(select(func.count()).select_from(Supplier)) == 0


def test_row_pointing_at_unknown_supplier_is_reported_and_nothing_is_imported(env: Env,
                                                                              import_file: ImportFile) -> None:
    import_file("suppliers", read("suppliers.csv"))
    data = b"supplier_code,iban,preferred\nS001,NL91ABNA0417164300,1\nS999,NL44RABO0123456789,0\nS001,NL00BAD,0\n"
    result = import_file("bank_accounts", data)
    assert said(result) == [
        (3, "supplier_code", "unknown_supplier", "supplier S999 not found"),
        (4, "iban", "bad_iban", "NL00BAD is not a valid IBAN"),
    ]
    assert [e["values"] for e in result.refused] == [{"value": "S999"}, {"value": "NL00BAD"}]
    assert service.list_bank_accounts(env.session, environment_id=env.id) == []


def test_two_preferred_accounts_for_one_supplier_in_one_file_are_refused(import_file: ImportFile) -> None:
    import_file("suppliers", read("suppliers.csv"))
    data = b"supplier_code;iban;preferred\nS001;NL91ABNA0417164300;ja\nS001;NL44RABO0123456789;ja\n"
    result = import_file("bank_accounts", data)
    assert said(result) == [
        (3, "preferred", "second_preferred", "is a second preferred account of supplier S001 (line 2)")]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"code;name\nS001;Caf\xe9 Noir\n", (2, None, "not_utf8", "the file is not UTF-8 text")),
        (b"", (1, None, "empty_file", "the file is empty")),
        (b"code;naam\nS001;X\n", (1, "naam", "unknown_column", "is an unknown column")),
        (b"code;city\nS001;X\n", (1, "name", "missing_column", "is a required column")),
        (b"code;name\nS001;X;extra\n", (2, None, "too_many_fields", "has 3 fields, the header 2")),
    ],
    ids=["latin1", "empty", "unknown_column", "missing_column", "too_many_fields"],
)
def test_unreadable_files_are_reported_on_their_line(import_file: ImportFile, data: bytes,
                                                     error: tuple[object, ...]) -> None:
    result = import_file("suppliers", data)
    assert result.status == "refused" and error in said(result) and result.created == 0


def test_comma_file_with_quoted_multiline_field_reports_the_line_the_record_starts_on(import_file: ImportFile) -> None:
    data = b'CODE,Name,Email\r\nS001,"Jansen\r\nB.V.",ok@example.nl\r\nS002,Pieters,bad\r\n'
    result = import_file("suppliers", data)
    assert said(result) == [(4, "email", "bad_email", "is not an e-mail address")]


def test_numbers_and_dates_in_dutch_notation_are_read(import_file: ImportFile) -> None:
    import_all(import_file)
    data = b"order_number;line_number;reference;quantity;received_on\n6001001;2;GR-9;1,5;31-12-2026\n"
    result = import_file("goods_receipts", data)
    assert (result.status, result.created) == ("done", 1)
    bad = b"order_number;line_number;reference;quantity;received_on\n6001001;2;GR-8;veel;gisteren\n"
    errors = import_file("goods_receipts", bad).refused
    assert [(e["line"], e["field"], e["code"], e["values"]) for e in errors] == [
        (2, "quantity", "not_number", {"value": "veel"}), (2, "received_on", "not_date", {"value": "gisteren"})]


def test_unknown_kind_is_invalid_input(import_file: ImportFile) -> None:
    with pytest.raises(InvalidInput):
        import_file("customers", b"code\n")


def test_import_into_one_environment_leaves_the_other_untouched(env: Env, import_file: ImportFile) -> None:
    import_all(import_file)
    assert service.list_suppliers(env.session, environment_id=env.other_id) == []
    result = import_file("purchase_orders", read("purchase_orders.csv"), environment_id=env.other_id)
    assert {e["field"] for e in result.refused} == {"supplier_code"}


def planner_row_estimate(env: Env, table: str) -> float:
    """What the database's query planner believes the table holds (its statistics, not a count)."""
    if env.session.get_bind().dialect.name == "postgresql":
        return env.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}) or 0
    has_stats = env.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
    stat = env.session.scalar(text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t LIMIT 1"), {"t": table}) \
        if has_stats else None
    return float(stat.split()[0]) if stat else 0


def test_a_bulk_import_refreshes_the_query_planner_statistics(env: Env, import_file: ImportFile) -> None:
    rows = [f"S{n:05d},Supplier {n} BV,{1000 + n % 8000}AB" for n in range(BULK_ROWS)]
    data = ("code,name,postal_code\n" + "\n".join(rows) + "\n").encode()
    # Before: what earlier tests left in the statistics (the reset deletes rows, it does not truncate).
    assert planner_row_estimate(env, "suppliers") < BULK_ROWS
    result = import_file("suppliers", data)
    assert (result.status, result.created + result.updated + result.unchanged) == ("done", BULK_ROWS)
    assert planner_row_estimate(env, "suppliers") >= BULK_ROWS
