"""The master-data service: verb functions that take a Session and an environment id and only flush.

Everything callers need lives here; the work is split over `parties` (suppliers, bank accounts,
administrations, trusted senders), `orders` (purchase orders, lines, goods receipts, matching rules),
`snapshot` (the candidate rows matching needs, as plain records). Imports go through
`operations.masterdata.import_master_data` (`csv_import` reads a file, `bulk` writes it).
"""

from server.masterdata.csv_import import KINDS as IMPORT_KINDS
from server.masterdata.inputs import (
    AdministrationInput,
    BankAccountInput,
    OrderInput,
    OrderLineInput,
    ReceiptInput,
    RuleInput,
    SupplierInput,
    TrustedSenderInput,
)
from server.masterdata.orders import (
    create_order,
    create_order_line,
    create_receipt,
    create_rule,
    get_order,
    get_order_line,
    get_receipt,
    get_rule,
    list_order_lines,
    list_orders,
    list_receipts,
    list_rules,
    order_by_number,
    order_line_by_number,
    save_order,
    save_order_line,
    save_receipt,
    save_rule,
    update_order,
    update_order_line,
    update_receipt,
    update_rule,
)
from server.masterdata.parties import (
    administration_by_code,
    create_administration,
    create_bank_account,
    create_supplier,
    create_trusted_sender,
    get_administration,
    get_bank_account,
    get_supplier,
    get_trusted_sender,
    is_trusted_sender,
    list_administrations,
    list_bank_accounts,
    list_suppliers,
    list_trusted_senders,
    save_administration,
    save_bank_account,
    save_supplier,
    supplier_by_code,
    update_administration,
    update_bank_account,
    update_supplier,
    update_trusted_sender,
)

__all__ = [
    "IMPORT_KINDS", "AdministrationInput", "BankAccountInput", "OrderInput", "OrderLineInput",
    "ReceiptInput", "RuleInput", "SupplierInput", "TrustedSenderInput", "administration_by_code",
    "create_administration", "create_bank_account", "create_order", "create_order_line", "create_receipt",
    "create_rule", "create_supplier", "create_trusted_sender", "get_administration", "get_bank_account",
    "get_order", "get_order_line", "get_receipt", "get_rule", "get_supplier", "get_trusted_sender",
    "is_trusted_sender", "list_administrations", "list_bank_accounts", "list_order_lines",
    "list_orders", "list_receipts", "list_rules", "list_suppliers", "list_trusted_senders", "order_by_number",
    "order_line_by_number", "save_administration", "save_bank_account", "save_order", "save_order_line",
    "save_receipt", "save_rule", "save_supplier", "supplier_by_code", "update_administration",
    "update_bank_account", "update_order", "update_order_line", "update_receipt", "update_rule",
    "update_supplier", "update_trusted_sender",
]  # fmt: skip
