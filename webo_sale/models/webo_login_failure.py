"""Login throttling: wrong passwords are counted per login and client
address, and too many of them in a while block the login from that address
(the right password included) until the while is over.

Counted in the database, so that every worker and server of the platform
sees the same failures. Limits (system parameters, defaults in brackets):

* ``webo_sale.login_max_failures`` [5]: wrong passwords for one login from
  one address;
* ``webo_sale.login_max_failures_address`` [20]: wrong passwords from one
  address, whatever the login;
* ``webo_sale.login_block_seconds`` [900]: the while, in seconds: failures
  older than that no longer count.
"""
import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

DEFAULTS = {
    "webo_sale.login_max_failures": 5,
    "webo_sale.login_max_failures_address": 20,
    "webo_sale.login_block_seconds": 900,
}
# Failures are kept a day, for the platform operator to see who tried.
KEEP_SECONDS = 86400


class WeboLoginFailure(models.Model):
    _name = "webo.login.failure"
    _description = "Failed Login"
    _order = "id desc"
    _log_access = False

    login = fields.Char(readonly=True, index=True)
    remote = fields.Char(string="Client Address", readonly=True, index=True)
    date = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)

    @api.model
    def _webo_limit(self, key):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return int(value) if value else DEFAULTS[key]
        except ValueError:
            return DEFAULTS[key]

    @api.model
    def _webo_blocked(self, login, remote):
        """Whether ``login`` may not try a password from ``remote`` now."""
        window = self._webo_limit("webo_sale.login_block_seconds")
        self.env.cr.execute("""
            SELECT COUNT(*) FILTER (WHERE login = %(login)s), COUNT(*)
              FROM webo_login_failure
             WHERE remote = %(remote)s
               AND date > (now() AT TIME ZONE 'UTC') - make_interval(secs => %(window)s)
        """, {"login": login, "remote": remote, "window": window})
        for_login, for_address = self.env.cr.fetchone()
        blocked = (for_login >= self._webo_limit("webo_sale.login_max_failures")
                   or for_address >= self._webo_limit("webo_sale.login_max_failures_address"))
        if blocked:
            _logger.warning("Login %s from %s blocked: too many wrong passwords", login, remote)
        return blocked

    @api.model
    def _webo_record(self, login, remote):
        """Count a wrong password. On a cursor of its own: the login's
        transaction is rolled back when it fails."""
        with self.pool.cursor() as cr:
            cr.execute("""
                DELETE FROM webo_login_failure
                 WHERE date < (now() AT TIME ZONE 'UTC') - make_interval(secs => %(keep)s);
                INSERT INTO webo_login_failure (login, remote, date)
                VALUES (%(login)s, %(remote)s, now() AT TIME ZONE 'UTC')
            """, {"login": login, "remote": remote, "keep": KEEP_SECONDS})
