from . import test_menus
from . import test_purchase_outstanding
