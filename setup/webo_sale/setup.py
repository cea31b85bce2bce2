import setuptools

setuptools.setup(
    setup_requires=["setuptools-odoo"],
    # Odoo 11's own account_bank_statement_import_ofx is an Enterprise addon,
    # which setuptools-odoo leaves out of the requirements: webo uses OCA's.
    install_requires=["odoo11-addon-account-bank-statement-import-ofx"],
    odoo_addon={
        # Import names of the manifest's external_dependencies whose
        # distribution has another name
        "external_dependencies_override": {
            "python": {
                "PIL": "Pillow",
                "facturx": "factur-x",
            },
        },
    },
)
