from . import payment_acquirer
from . import webo_sale_service
from . import webo_purchase_order
from . import webo_purchase_order_line
from . import webo_purchase_settlement
from . import account_invoice
from . import account_payment
from . import webo_sale_demo
