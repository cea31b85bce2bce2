"""Money as a client reads it, wherever webo writes an amount in a text of
its own (the payment page, the reminders)."""
from odoo.tools.misc import formatLang


def format_money(env, amount, currency):
    """``amount`` in ``currency`` as the language of ``env``'s context writes
    money: Odoo's formatLang (the currency's decimals and symbol, the
    language's grouping), every space a no-break space so that a line break
    never parts the number from its symbol. ``currency`` is a res.currency
    or anything with its ``symbol``, ``position`` and ``decimal_places``."""
    return formatLang(env, amount, monetary=True, currency_obj=currency).replace(
        " ", "\N{NO-BREAK SPACE}")
