from . import webo_purchase_checkout
from . import webo_purchase_checkout_line
