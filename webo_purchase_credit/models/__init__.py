from . import webo_sale_service
