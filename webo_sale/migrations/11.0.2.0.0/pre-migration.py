"""Databases made before invoices kept the state of their email: the new
column would give every invoice already sent the default "Not sent". An
invoice that went out then is marked sent (Odoo's ``sent``), the others
were never emailed."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'account_invoice' AND column_name = 'webo_email_state'""")
    if cr.fetchone():
        return
    cr.execute("ALTER TABLE account_invoice ADD COLUMN webo_email_state varchar")
    cr.execute("""UPDATE account_invoice
                     SET webo_email_state = CASE WHEN sent THEN 'sent' ELSE 'none' END""")
