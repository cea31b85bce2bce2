from datetime import timedelta

from odoo import api, fields, models

from .webo_subscription import period_date

# Claire's five months of business, the demo's story: what she invoiced
# (label, client's xml id, amount, days ago) and what her clients paid
# (days ago, amount; None: all that is due). Under the VAT franchise: no VAT.
CLAIRE_INVOICES = [
    ("Création du site vitrine", "client_boulangerie_dupont", 1800.0, 150, [(128, None)]),
    ("Identité visuelle et logo", "client_cabinet_leroy", 1200.0, 122, [(101, None)]),
    ("Séance photo des produits", "client_sophie_moreau", 350.0, 88, [(70, None)]),
    ("Refonte du blog", "client_cabinet_leroy", 780.0, 61, [(41, None)]),
    ("Module de réservation en ligne", "client_boulangerie_dupont", 960.0, 56, []),
    ("Campagne d'emailing", "client_cabinet_leroy", 400.0, 30, []),
    ("Maintenance trimestrielle", "client_sophie_moreau", 540.0, 20, [(12, 200.0)]),
    ("Optimisation du référencement", "client_cabinet_leroy", 600.0, 9, []),
]
# The days (ago) the daily reminder job ran: the unpaid "Module de
# réservation en ligne", due 26 days ago, got its D+1 and D+15 reminders.
REMINDER_RUNS = [25, 11]
# Cancelled today by a credit note (the client gave up the campaign).
CANCELLED_INVOICE = "Campagne d'emailing"
# The monthly subscription (label, client, monthly amount, started days
# ago): each period invoiced on its billing day, as the daily job does, and
# paid a few days later, but the last one.
SUBSCRIPTION = ("Hébergement et maintenance", "client_boulangerie_dupont", 45.0, 96)
SUBSCRIPTION_PAID_AFTER = 9
# Julien has not opened his sales service: his invoices wait as drafts.
JULIEN_DRAFTS = [
    ("Refonte du site du garage", "client_garage_lefevre", 2400.0),
    ("Site de l'association", "client_amis_du_velo", 900.0),
]
PAYMENT_DAYS = 30
# Within a day: invoices first, then payments, then the reminder job.
SEND, PAY, REMIND = 0, 1, 2


class WeboSaleDemo(models.AbstractModel):
    """The demo's story, told through the product's own methods as the
    designers and the daily jobs would have used them, day after day, in
    the past (invoices are numbered in the order of their dates, so the
    story is played in date order): the wizard sends each invoice, the
    clients' payments are registered, the reminder job runs, a
    subscription's periods are issued on their days, and today an invoice
    is cancelled by a credit note."""

    _name = "webo.sale.demo"
    _description = "The demo's story"

    @api.model
    def _demo_story(self):
        claire = self.env.ref("webo_sale.user_claire")
        # In the designers' language and time zone, as from their screens.
        self.with_context(lang=claire.lang, tz=claire.tz)._play_story(claire)

    def _play_story(self, claire):
        today = fields.Date.from_string(fields.Date.context_today(self))
        invoices = {}
        events = []
        for label, client, amount, days_ago, payments in CLAIRE_INVOICES:
            day = today - timedelta(days=days_ago)
            events.append((day, SEND, lambda label=label, client=client, amount=amount, day=day:
                           self._send(claire, invoices, label, client, amount, day)))
            for paid_days_ago, paid in payments:
                pay_day = today - timedelta(days=paid_days_ago)
                events.append((pay_day, PAY, lambda label=label, paid=paid, pay_day=pay_day:
                               self._pay(claire, invoices[label], paid, pay_day)))
        for days_ago in REMINDER_RUNS:
            day = today - timedelta(days=days_ago)
            events.append((day, REMIND, lambda day=day: self._remind(claire, day)))
        events += self._subscription_events(claire, invoices, today)
        for _day, _order, action in sorted(events, key=lambda event: event[:2]):
            action()
        invoices[CANCELLED_INVOICE].sudo(claire).webo_cancel_with_credit_note()

        julien = self.env.ref("webo_sale.user_julien")
        for label, client, amount in JULIEN_DRAFTS:
            self._wizard(julien, label, client, amount, today).action_save_draft()

    def _subscription_events(self, user, invoices, today):
        """Period 1 sent with the wizard; the next ones issued on their
        billing days; each paid some days later, but the last."""
        label, client, amount, days_ago = SUBSCRIPTION
        start = today - timedelta(days=days_ago)
        days = [start]
        while period_date(start, start.day, len(days) + 1) <= today:
            days.append(period_date(start, start.day, len(days) + 1))
        events = [(start, SEND, lambda: self._send(user, invoices, label, client, amount, start, "monthly"))]
        for period, day in enumerate(days[1:], 2):
            events.append((day, SEND, lambda period=period, day=day:
                           self._issue_period(user, invoices[label].webo_subscription_id, period, day)))
        for period, day in enumerate(days[:-1], 1):
            pay_day = day + timedelta(days=SUBSCRIPTION_PAID_AFTER)
            events.append((pay_day, PAY, lambda period=period, pay_day=pay_day: self._pay(
                user, invoices[label].webo_subscription_id.invoice_ids.filtered(
                    lambda invoice: invoice.webo_subscription_period == period), None, pay_day)))
        return events

    # What the designers and the daily jobs did

    def _wizard(self, user, label, client, amount, day, recurrence="none"):
        """"Créer une facture", filled in by ``user`` on ``day``."""
        return self.env["webo.invoice.wizard"].sudo(user).create({
            "name": label,
            "partner_id": self.env.ref("webo_sale." + client).id,
            "date_invoice": fields.Date.to_string(day),
            "date_due": fields.Date.to_string(day + timedelta(days=PAYMENT_DAYS)),
            "recurrence": recurrence,
            "line_ids": [(0, 0, {"name": label, "quantity": 1, "price_unit": amount})],
        })

    def _send(self, user, invoices, label, client, amount, day, recurrence="none"):
        """"Envoyer la facture"."""
        wizard = self._wizard(user, label, client, amount, day, recurrence)
        wizard.action_send()
        invoices[label] = wizard.invoice_id

    def _pay(self, user, invoice, amount, day):
        """The client paid (``amount``, or all that is due) on ``day``: the
        designer registers it."""
        invoice = invoice.sudo(user)
        invoice.webo_register_payment(amount or invoice.residual, payment_date=fields.Date.to_string(day))

    def _remind(self, user, day):
        """The daily reminder job of ``day``, for the designer's workspace."""
        self.env["account.invoice"].sudo(user).with_context(
            webo_reminder_no_commit=True).webo_run_reminders(fields.Date.to_string(day))

    def _issue_period(self, user, subscription, period, day):
        """What the daily subscription job did on ``day``: the period's
        invoice issued, dated that day, and sent (the job issues it with the
        date of the day it runs)."""
        subscription = subscription.sudo(user)
        invoice = subscription._draft_invoice(period)
        invoice.write({"date_invoice": fields.Date.to_string(day),
                       "date_due": fields.Date.to_string(day + timedelta(days=subscription.payment_days))})
        invoice.action_invoice_open()
        invoice._webo_post_email()
        subscription._move_past(period)
