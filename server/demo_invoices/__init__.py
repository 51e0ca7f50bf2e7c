"""Sample UBL invoices shipped for `stroom demo`, one per row of the default decision table (see demo_data)."""
