from . import http_hardening
from .hooks import pre_init_hook
from . import models
from . import wizards
from . import controllers
