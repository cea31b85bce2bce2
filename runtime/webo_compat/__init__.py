"""Runs unmodified Odoo 11.0 on CPython 3.11.

Odoo 11 was written for Python 3.5-3.7. Nine things it relies on were removed
or changed by Python 3.9-3.11 and by the library versions that still install
on 3.11. Each is repaired here, at import time, without editing any file of
the installed Odoo: interpreter-wide aliases are restored before Odoo is
imported, and the Odoo modules that need a local repair are patched right
after their own import by a post-import hook.

Usage (the launcher does this)::

    import webo_compat
    webo_compat.install()
    import odoo
"""
from .fixes import FIXES, install

__all__ = ["FIXES", "install"]
