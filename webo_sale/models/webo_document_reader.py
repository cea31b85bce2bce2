from odoo import api, fields, models
from odoo.osv import expression


class WeboDocumentReader(models.AbstractModel):
    """Rows about another model's records (followers, activities,
    translations): readable by whoever may read that record.

    Odoo 11 lets every employee and portal user read all of them, whatever
    the workspace of the record they are about. A record rule
    ``[('webo_reader_id', '=', user.id)]`` keeps the rows of records the
    user may read (the record's access rights, then its record rules)."""

    _name = "webo.document.reader.mixin"
    _description = "Rows readable by the readers of their record"

    webo_reader_id = fields.Many2one(
        "res.users", string="Reader", compute="_compute_webo_reader_id",
        search="_search_webo_reader_id",
        help="The current user when they may read the record this row is about; record rules search "
             "it with the user's id.")

    def _compute_webo_reader_id(self):
        readable = self.search([("id", "in", self.ids), ("webo_reader_id", "=", self.env.uid)])
        for row in self:
            row.webo_reader_id = self.env.user if row in readable else False

    @api.model
    def _search_webo_reader_id(self, operator, value):
        # Record rules are turned into SQL as superuser: the user comes as
        # the value, never from the environment.
        if operator != "=" or not isinstance(value, int):
            # Only record rules search it; no user ever types this search.
            raise ValueError("webo_reader_id is searched with '=' and a user's id")
        clauses, params = [], []
        always = self._webo_always_readable()
        if always:
            clauses.append(always)
        rules = self.env["ir.rule"]
        for model_name in self._webo_document_models():
            condition, condition_params = self._webo_rows_of(model_name)
            readable = rules._webo_readable_ids_sql(model_name, value)
            if readable is None:
                continue
            sql, readable_params = readable
            if sql:
                condition = "(%s AND %s IN (%s))" % (condition, self._webo_document_id_column(), sql)
            clauses.append(condition)
            params += condition_params + (readable_params if sql else [])
        if not clauses:
            return expression.FALSE_DOMAIN
        query = 'SELECT id FROM "%s" WHERE %s' % (self._table, " OR ".join(clauses))
        return [("id", "inselect", (query, params))]

    @api.model
    def _webo_document_models(self):
        """The models whose records these rows may be about."""
        raise NotImplementedError()

    @api.model
    def _webo_rows_of(self, model_name):
        """(SQL condition, params): the rows about records of ``model_name``."""
        return "res_model = %s", [model_name]

    @api.model
    def _webo_document_id_column(self):
        return "res_id"

    @api.model
    def _webo_always_readable(self):
        """An SQL condition of the rows anyone may read, or None."""
        return None
