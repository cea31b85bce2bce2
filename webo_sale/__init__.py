from . import http_hardening
from . import models
from . import wizards
from . import controllers
