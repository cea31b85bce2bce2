from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import mute_logger

from ..models.webo_subscription import period_date
from .test_subscriptions import SubscriptionCase, a_31st_before_a_shorter_month, month_day


class TestSubscriptionActions(SubscriptionCase):
    """Modifier, Dupliquer, Arrêter: the list's actions, their wizards and
    the refusals, as designer A."""

    def _as_a(self, subscription):
        return subscription.sudo(self.designer_a)

    def _run_action(self, xmlid, subscription, user=None):
        action = self.env.ref(xmlid).sudo(user or self.designer_a).with_context(
            active_model="webo.subscription", active_id=subscription.id, active_ids=subscription.ids)
        return action.run()

    def test_the_list_actions_are_bound_and_french(self):
        bound = self.env["ir.actions.server"].with_context(lang="fr_FR").search(
            [("binding_model_id.model", "=", "webo.subscription")])
        self.assertEqual(sorted(bound.mapped("name")), ["Arrêter", "Dupliquer", "Modifier"])

    def test_modify_applies_from_the_next_period_and_is_logged(self):
        start = a_31st_before_a_shorter_month()
        subscription = self._subscription(date_start=start, lines=((1.0, 50.0),))
        self._run(start)
        first_invoice = subscription.invoice_ids
        action = self._run_action("webo_sale.webo_subscription_action_modify", subscription)
        self.assertEqual(action["res_model"], "webo.subscription.modify")
        wizard = self.env["webo.subscription.modify"].sudo(self.designer_a).with_context(
            **action["context"]).create({})
        self.assertEqual(wizard.billing_day, 31)
        self.assertEqual(wizard.line_ids.mapped("price_unit"), [50.0])
        wizard.write({"billing_day": 10, "line_ids": [
            (1, wizard.line_ids.id, {"price_unit": 80.0}),
            (0, 0, {"name": "Maintenance", "quantity": 2, "price_unit": 15.0})]})
        wizard.action_apply()

        self.assertEqual(subscription.billing_day, 10)
        second_date = fields.Date.to_string(period_date(fields.Date.from_string(start), 10, 2))
        self.assertEqual(subscription.next_invoice_date, second_date, "period 2 on the new day")
        self.assertAlmostEqual(subscription.amount_untaxed, 110.0, places=2)
        self.assertAlmostEqual(first_invoice.amount_untaxed, 50.0, places=2, msg="issued: untouched")
        log = subscription.message_ids[0].body
        self.assertIn("Ligne 1: 1.0 x 50.0", log)
        self.assertIn("Maintenance: 2.0 x 15.0", log)

        self._run(second_date)
        second = subscription.invoice_ids - first_invoice
        self.assertEqual(second.date_invoice, self.today)
        self.assertEqual(second.webo_period_start, second_date)
        self.assertAlmostEqual(second.amount_untaxed, 110.0, places=2)
        self.assertEqual(second.invoice_line_ids.mapped("name"), ["Ligne 1", "Maintenance"])

    def test_duplicate_a_running_subscription(self):
        subscription = self._subscription(date_start=month_day(3, 5), lines=((2.0, 30.0),))
        action = self._run_action("webo_sale.webo_subscription_action_duplicate", subscription)
        wizard = self.env["webo.subscription.duplicate"].sudo(self.designer_a).with_context(
            **action["context"]).create({"date_start": month_day(1, 20)})
        new = self.env["webo.subscription"].browse(wizard.action_duplicate()["res_id"])
        self.assertNotEqual(new, subscription)
        self.assertEqual(new.state, "running")
        self.assertEqual(new.partner_id, subscription.partner_id)
        self.assertEqual(new.next_invoice_date, month_day(1, 20))
        self.assertEqual(new.billing_day, 20)
        self.assertAlmostEqual(new.amount_untaxed, 60.0, places=2)
        self.assertFalse(new.predecessor_id, "a copy, not a resumption")
        self.assertEqual(subscription.state, "running")
        day = fields.Date.from_string(month_day(1, 20)).strftime("%d/%m/%Y")
        self.assertEqual(new.name, "%s (à partir du %s)" % (subscription.name, day),
                         "told apart from the original by its label")

    def test_duplicate_resumes_a_stopped_subscription_as_its_successor(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        self._run(month_day(1, 5))
        self._as_a(subscription).webo_stop()
        new = self.env["webo.subscription"].browse(self._as_a(subscription).webo_duplicate())
        self.assertEqual(new.predecessor_id, subscription)
        self.assertEqual(subscription.successor_ids, new)
        self.assertEqual(subscription.state, "stopped")
        self.assertEqual(len(subscription.invoice_ids), 2, "the stopped one keeps its invoices")
        self.assertEqual(new.next_period, 1)
        self.assertTrue(new.name.startswith("%s (reprise le " % subscription.name), new.name)
        named = self._subscription(date_start=month_day(2, 5))
        copy = self.env["webo.subscription"].browse(
            self._as_a(named).webo_duplicate(name="  Maintenance 2027 "))
        self.assertEqual(copy.name, "Maintenance 2027")

    def test_stop_from_the_list_asks_first(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        action = self._run_action("webo_sale.webo_subscription_action_stop", subscription)
        self.assertEqual((action["res_model"], action["target"]), ("webo.subscription.stop", "new"))
        self.assertEqual(subscription.state, "running", "nothing stopped before the confirmation")
        wizard = self.env["webo.subscription.stop"].sudo(self.designer_a).with_context(
            **action["context"]).create({})
        self.assertEqual(wizard.subscription_ids, subscription)
        wizard.action_stop()
        self.assertEqual(subscription.state, "stopped")
        log = subscription.message_ids[0].body
        self.assertIn("plus aucune facture", log, "in the designer's French")
        today = fields.Date.from_string(self.today).strftime("%d/%m/%Y")
        self.assertIn("Arrêté le %s" % today, log, "the date as the designer reads it")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self._as_a(subscription).action_webo_stop()


class TestSubscriptionBadInput(SubscriptionCase):
    """Each refusal says what to fix, in French, and writes nothing."""

    def _assert_refused(self, error_class, call, fragment):
        with self.assertRaises(error_class) as caught, self.env.cr.savepoint():
            call()
        self.assertIn(fragment, caught.exception.name)

    def test_modifying_a_stopped_subscription(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        subscription.sudo(self.designer_a).webo_stop()
        as_a = subscription.sudo(self.designer_a).with_context(lang="fr_FR")
        self._assert_refused(UserError, lambda: as_a.webo_modify({"billing_day": 12}),
                             "est arrêté")
        self._assert_refused(UserError, as_a.action_webo_modify, "est arrêté")
        self.assertEqual(subscription.billing_day, 5)
        self._assert_refused(UserError, as_a.webo_stop, "est arrêté")

    def test_duplicating_a_stopped_subscription_twice_or_into_the_past(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        as_a = subscription.sudo(self.designer_a).with_context(lang="fr_FR")
        as_a.webo_stop()
        self._assert_refused(UserError, lambda: as_a.webo_duplicate("2020-01-01"), "aujourd'hui ou plus tard")
        self.assertFalse(subscription.successor_ids)
        as_a.webo_duplicate()
        count = self.env["webo.subscription"].search_count([])
        self._assert_refused(UserError, as_a.webo_duplicate, "a déjà été repris")
        self._assert_refused(UserError, as_a.action_webo_duplicate, "a déjà été repris")
        self.assertEqual(self.env["webo.subscription"].search_count([]), count)

    def test_billing_day_outside_1_31(self):
        model = self.env["webo.subscription"]
        count = model.search_count([])
        for day in (0, 32, -3):
            self._assert_refused(ValidationError, lambda d=day: self._subscription(
                billing_day=d, lang="fr_FR"), "entre 1 et 31")
        self.assertEqual(model.search_count([]), count)
        subscription = self._subscription(date_start=month_day(2, 5))
        self._assert_refused(ValidationError, lambda: subscription.sudo(self.designer_a).with_context(
            lang="fr_FR").webo_modify({"billing_day": 40}), "entre 1 et 31")
        self.assertEqual(subscription.billing_day, 5)

    def test_lines_with_a_zero_total(self):
        model = self.env["webo.subscription"]
        count = model.search_count([])
        self._assert_refused(ValidationError, lambda: self._subscription(
            lines=((1.0, 0.0),), lang="fr_FR"), "au-dessus de zéro")
        self._assert_refused(ValidationError, lambda: self._subscription(
            lines=((0.0, 50.0),)), "quantité supérieure à zéro")
        self._assert_refused(ValidationError, lambda: self._subscription(
            lines=((-1.0, 50.0), (2.0, 50.0))), "quantité supérieure à zéro")
        self._assert_refused(ValidationError, lambda: self._subscription(lines=()), "au moins une ligne")
        self.assertEqual(model.search_count([]), count)
        subscription = self._subscription(date_start=month_day(2, 5))
        free = [(0, 0, {"name": "Gratuit", "quantity": 1, "price_unit": 0.0})]
        self._assert_refused(ValidationError, lambda: subscription.sudo(self.designer_a).webo_modify(
            {"line_ids": free}), "au-dessus de zéro")
        self.assertEqual(subscription.line_ids.mapped("name"), ["Ligne 1"], "the old lines are kept")
        wizard = self.env["webo.subscription.modify"].sudo(self.designer_a).with_context(
            default_subscription_id=subscription.id).create({})
        wizard.line_ids.write({"price_unit": 0.0})
        self._assert_refused(ValidationError, wizard.action_apply, "au-dessus de zéro")
        self.assertAlmostEqual(subscription.amount_untaxed, 50.0, places=2)

    def test_unknown_field_in_a_modification(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        self._assert_refused(UserError, lambda: subscription.sudo(self.designer_a).webo_modify(
            {"partner_id": self.client_b.id}), "partner_id")
        self.assertEqual(subscription.partner_id, self.client_a)


class TestSubscriptionSecurity(SubscriptionCase):
    """A designer never sees nor touches another workspace's subscriptions."""

    def test_designer_b_cannot_touch_a_subscription_of_a(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        as_b = subscription.sudo(self.designer_b)
        self.assertFalse(self.env["webo.subscription"].sudo(self.designer_b).search([]))
        for call in (lambda: as_b.read(["name"]), lambda: as_b.webo_modify({"billing_day": 9}),
                     as_b.webo_stop, as_b.webo_duplicate, as_b.action_webo_modify,
                     lambda: as_b.write({"name": "Piraté"})):
            with self.assertRaises(AccessError), self.env.cr.savepoint(), mute_logger("odoo.models"):
                call()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            subscription.line_ids.sudo(self.designer_b).read(["name"])
        self.assertEqual(subscription.state, "running")
        self.assertEqual(subscription.billing_day, 5)
        self.assertEqual(self.env["webo.subscription"].search_count(
            [("partner_id", "=", self.client_a.id)]), 1, "nothing duplicated")

    def test_designer_b_cannot_subscribe_a_client_of_a(self):
        with self.assertRaises((UserError, ValidationError, AccessError)), self.env.cr.savepoint():
            self._subscription(user=self.designer_b)
        self.assertFalse(self.env["webo.subscription"].search([("partner_id", "=", self.client_a.id)]))

    def test_designers_delete_no_subscription_and_only_the_operator_runs_the_batch(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            subscription.sudo(self.designer_a).unlink()
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["webo.subscription"].sudo(self.designer_a).webo_run(month_day(2, 5))
        self.assertFalse(subscription.invoice_ids)
