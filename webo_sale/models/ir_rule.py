from odoo import api, models

# The cursor's cache entry holding the record rules' SQL of a subscriptions'
# run, by (user, model, mode).
RULE_CACHE = "webo_rule_domains"


class IrRule(models.Model):
    _inherit = "ir.rule"

    @api.model
    def domain_get(self, model_name, mode="read"):
        """The record rules' SQL, computed once per user, model and mode for
        the whole of a subscriptions' run (context key ``webo_rule_cache``).

        Odoo caches the rules' domains but turns them into SQL again on
        every search and access check (their ``child_of`` a query each
        time): hundreds of times for each invoice the run issues in a
        designer's name. The run creates no company and no partner
        hierarchy, which is all that SQL depends on; the cache lives on the
        run's cursor and the run empties it after each batch."""
        if not self.env.context.get("webo_rule_cache"):
            return super().domain_get(model_name, mode)
        cache = self.env.cr.cache.setdefault(RULE_CACHE, {})
        key = (self._uid, model_name, mode)
        if key not in cache:
            cache[key] = super().domain_get(model_name, mode)
        clauses, params, tables = cache[key]
        # Copies: callers may extend what they get.
        return list(clauses), list(params), list(tables)

    @api.model
    def _webo_readable_ids_sql(self, model_name, user_id):
        """``(sql, params)`` selecting the ids of ``model_name`` that the user
        may read (its access rights, then its record rules); ``("", [])``
        when they may read them all, None when none."""
        records = self.env[model_name].sudo(user_id)
        if not records.check_access_rights("read", raise_exception=False):
            return None
        query = records._where_calc([], active_test=False)
        records._apply_ir_rules(query, "read")
        from_clause, where_clause, params = query.get_sql()
        if not where_clause:
            return "", []
        return 'SELECT "%s".id FROM %s WHERE %s' % (records._table, from_clause, where_clause), params

    @api.model
    def _webo_clear_rule_cache(self):
        self.env.cr.cache.pop(RULE_CACHE, None)
