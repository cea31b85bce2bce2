from . import test_workspace
from . import test_security
from . import test_menus
from . import test_client_accounts
from . import test_invoice_wizard
from . import test_invoice_law
from . import test_report
from . import test_subscriptions
