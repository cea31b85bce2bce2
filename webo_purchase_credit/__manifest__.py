{
    "name": "webo: Deferred payment for platform purchases",
    "summary": "Buy platform services now within a purchase credit of 150 / 300 EUR, "
               "pay when your own clients pay",
    "version": "11.0.1.2.0",
    "category": "Invoicing Management",
    "website": "https://webo-facto.com",
    "author": "webo",
    "license": "LGPL-3",
    "depends": [
        "webo_sale",
    ],
    "external_dependencies": {
        # The platform's share of a client's card payment (application fee).
        "python": ["stripe"],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/webo_purchase_credit_security.xml",
        "data/webo_purchase_credit_data.xml",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "views/webo_purchase_order_views.xml",
        "views/webo_sale_service_views.xml",
        "wizards/webo_purchase_checkout_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/webo_purchase_credit_demo.xml",
    ],
}
