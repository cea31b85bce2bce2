from . import portal
from . import database
