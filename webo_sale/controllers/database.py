"""The database manager (/web/database/*) is closed: from the Internet, a
page that creates, copies, drops, backs up and restores databases is only a
target for the master password. Databases are managed on the server
(runtime/database.sh, createdb/dropdb, pg_dump)."""
import werkzeug

from odoo import http
from odoo.addons.web.controllers.main import Database
from odoo.http import request


class WeboDatabaseClosed(Database):

    @http.route("/web/database/selector", type="http", auth="none")
    def selector(self, **kw):
        return request.not_found()

    @http.route("/web/database/manager", type="http", auth="none")
    def manager(self, **kw):
        return request.not_found()

    @http.route("/web/database/create", type="http", auth="none", methods=["POST"], csrf=False)
    def create(self, *args, **kw):  # pylint: disable=method-required-super
        # (a controller's route, not a model's create: there is nothing to call)
        return request.not_found()

    @http.route("/web/database/duplicate", type="http", auth="none", methods=["POST"], csrf=False)
    def duplicate(self, *args, **kw):
        return request.not_found()

    @http.route("/web/database/drop", type="http", auth="none", methods=["POST"], csrf=False)
    def drop(self, *args, **kw):
        return request.not_found()

    @http.route("/web/database/backup", type="http", auth="none", methods=["POST"], csrf=False)
    def backup(self, *args, **kw):
        return request.not_found()

    @http.route("/web/database/restore", type="http", auth="none", methods=["POST"], csrf=False)
    def restore(self, *args, **kw):
        return request.not_found()

    @http.route("/web/database/change_password", type="http", auth="none", methods=["POST"],
                csrf=False)
    def change_password(self, *args, **kw):
        return request.not_found()

    @http.route("/web/database/list", type="json", auth="none")
    def list(self):
        raise werkzeug.exceptions.NotFound()
