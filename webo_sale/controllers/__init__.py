from . import portal
from . import payment
from . import mail
from . import web_login
from . import database
from . import avatar
from . import stripe_checkout
from . import stripe_autopay
