{
    "name": "webo: Sales service for web designers",
    "summary": "Client accounts, invoices sent by email with a secure payment page, "
               "subscriptions, reminders, credit notes and a live dashboard",
    "version": "11.0.1.0.0",
    "category": "Invoicing Management",
    "website": "https://webo-facto.com",
    "author": "webo",
    "license": "LGPL-3",
    "depends": [
        "account_invoicing",
        "account_payment",
        "base_iban",
        "base_vat",
        "l10n_fr",
        "payment_stripe",
        "payment_transfer",
        "portal",
    ],
    "data": [
        "security/webo_sale_security.xml",
        "views/account_invoice_views.xml",
        "views/res_partner_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/webo_sale_demo.xml",
    ],
    "application": True,
}
