{
    "name": "webo: Deferred payment for platform purchases",
    "summary": "Buy platform services now within a purchase credit of 150 / 300 EUR, "
               "pay when your own clients pay",
    "version": "11.0.1.0.0",
    "category": "Invoicing Management",
    "website": "https://webo-facto.com",
    "author": "webo",
    "license": "LGPL-3",
    "depends": [
        "webo_sale",
    ],
    "data": [
        "views/account_invoice_views.xml",
        "views/menus.xml",
    ],
}
