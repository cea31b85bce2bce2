from . import test_menus
from . import test_purchase_outstanding
from . import test_deferred_purchase
from . import test_settlement
from . import test_api_reference
from . import test_stripe_settlement
