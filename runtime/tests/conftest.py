"""Puts the compatibility layer on the path and installs it for in-process tests.

It has to be installed before any test module imports Odoo: the fixes that
patch Odoo modules do so from a post-import hook.
"""
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RUNTIME))

import webo_compat

webo_compat.install()
