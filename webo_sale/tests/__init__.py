from . import test_workspace
from . import test_security
from . import test_menus
