from . import test_menus, test_security, test_workspace
