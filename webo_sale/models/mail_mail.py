import datetime
import logging
import smtplib
import socket

import psycopg2
import psycopg2.errors

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)

# An email the mail server did not take for a temporary reason is tried
# again 1, 2, 4, 8... minutes later, then every hour, until RETRY_HOURS
# after its first failure (system parameter webo_sale.mail_retry_hours);
# then it has failed for good.
RETRY_FIRST_MINUTES = 1
RETRY_LONGEST_MINUTES = 60
RETRY_HOURS = 48.0
RETRY_HOURS_PARAMETER = "webo_sale.mail_retry_hours"

# Failures that say nothing about the email itself: the server is away,
# overloaded or misconfigured for now. Tried again.
TEMPORARY = ("unreachable", "timeout", "disconnected", "deferred", "garbage", "login")
# After these the SMTP session cannot be used for the next email.
SESSION_LOST = ("unreachable", "timeout", "disconnected", "garbage")


def _smtp_reply(error):
    text = error.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return ("%s %s" % (error.smtp_code, text or "")).strip()


def _failure_kind(error):
    """(kind, detail) for one exception of the chain, None if it says nothing."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients.values()
        detail = "; ".join("%s %s" % (code, text.decode("utf-8", "replace") if isinstance(text, bytes)
                                      else text) for code, text in replies)
        if replies and all(400 <= code < 500 for code, _text in replies):
            return "deferred", detail
        return "rejected", detail
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "login", _smtp_reply(error)
    if isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        if 400 <= code < 500:
            return "deferred", _smtp_reply(error)
        if 500 <= code < 600:
            return "rejected", _smtp_reply(error)
        # smtplib's code for a reply that does not start with one.
        return "garbage", _smtp_reply(error)[:200]
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "disconnected", str(error)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timeout", str(error)
    if isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException):
        return "unreachable", error.strerror or str(error)
    if isinstance(error, AssertionError):
        # Odoo's checks of the addresses before it connects.
        return "invalid_address", str(error)
    return None


def delivery_failure(error):
    """(kind, detail) of an email the mail server did not take. ``kind`` is
    one of TEMPORARY (tried again later) or ``rejected`` (a 5xx reply),
    ``invalid_address``, ``other`` (failed for good). Odoo wraps the SMTP
    library's error into its own exception: the cause is looked for along
    the chain of exceptions."""
    outer, seen = error, set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found = _failure_kind(error)
        if found:
            return found
        error = error.__cause__ or error.__context__
    return "other", str(getattr(outer, "value", None) or outer)


class MailMail(models.Model):
    """Odoo 11 marks an email that its mail server did not take as failed
    for good (``exception``) on the first try. Here a temporary failure
    (server unreachable, timeout, 4xx reply, garbage) puts the same email
    back in the queue for a later attempt, so it keeps its Message-Id and
    is never sent twice; a permanent one (5xx reply, invalid address) or a
    temporary one lasting beyond the retry period fails it for good, and
    the designers of its workspace are alerted."""

    _inherit = "mail.mail"

    webo_attempts = fields.Integer(
        string="Failed Attempts", readonly=True, copy=False,
        help="How many times the mail server did not take this email.")
    webo_first_failure = fields.Datetime(
        string="First Failure", readonly=True, copy=False,
        help="When the mail server first did not take this email: retries stop "
             "after the retry period from then on.")

    @api.model
    def create(self, values):
        mail = super().create(values)
        mail.mail_message_id.sudo().write({"webo_delivery_state": "pending", "webo_delivery_error": False})
        return mail

    @api.multi
    def send(self, auto_commit=False, raise_exception=False):
        """Send the emails, each on its own, and tell each one's message (and
        the invoice) how it went. A caller that asks for the exception
        reports the failure itself: Odoo's behaviour."""
        if raise_exception:
            return super().send(auto_commit=auto_commit, raise_exception=raise_exception)
        mails = self._webo_one_delivery_each()
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        for server_id, batch_ids in mails._split_by_server():
            self.browse(batch_ids)._webo_send_batch(server_id, auto_commit)
        return True

    @api.multi
    def _postprocess_sent_message(self, mail_sent=True):
        # Failures are handled by _webo_delivery_failed, once their kind is known.
        if mail_sent:
            for mail in self.filtered(lambda mail: mail.state == "sent"):
                mail._webo_delivery_changed("sent")
        return super()._postprocess_sent_message(mail_sent=mail_sent)

    # Putting back in the queue

    def _webo_requeue(self):
        """Put emails that failed for good back in the queue, as they are:
        the same message (Message-Id), to the recipients' current addresses.
        Returns True."""
        failed = self.filtered(lambda mail: mail.state == "exception")
        failed.write({"state": "outgoing", "webo_attempts": 0, "webo_first_failure": False,
                      "scheduled_date": False, "failure_reason": False})
        for mail in failed:
            mail._webo_delivery_changed("pending")
        return True

    # Sending

    def _webo_send_batch(self, server_id, auto_commit):
        """Send these emails through one SMTP session, opened again after an
        email that broke it; committed after each email when asked."""
        session, connected = None, False
        pending = list(self.ids)
        try:
            while pending:
                if not connected:
                    try:
                        session = self.env["ir.mail_server"].connect(mail_server_id=server_id)
                        connected = True
                    except Exception as error:  # pylint: disable=broad-except
                        # Every email waiting here met the same server.
                        _logger.warning("mail queue: mail server unavailable for %d emails: %s",
                                        len(pending), error)
                        self.browse(pending)._webo_delivery_failed(error, connecting=True)
                        if auto_commit:
                            self.env.cr.commit()  # pylint: disable=invalid-commit
                        break
                mail = self.browse(pending.pop(0))
                if not mail._webo_deliver(session):
                    self._webo_quit(session)
                    session, connected = None, False
                if auto_commit:
                    # Each email's outcome kept as soon as it is known.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        finally:
            self._webo_quit(session)

    def _webo_deliver(self, session):
        """Hand this email to the mail server (Odoo's ``_send``); returns
        False when the SMTP session cannot be used any more. An email whose
        rows another transaction holds waits for the next run of the queue."""
        self.ensure_one()
        if not self._webo_lock_for_sending():
            return True
        try:
            # Odoo's sending of one email, through this session.
            self._send(raise_exception=True, smtp_session=session)
        except (psycopg2.Error, MemoryError):
            raise
        except Exception as error:  # pylint: disable=broad-except
            return self._webo_delivery_failed(error) not in SESSION_LOST
        if self.exists() and self.state == "exception":
            # Odoo skipped every recipient as invalid, without an error.
            self._webo_give_up("invalid_address", ", ".join(self._webo_addresses()))
        return True

    def _webo_lock_for_sending(self):
        """Lock the rows written once the mail server has taken the email
        (the email, its message and notifications, the invoice it tells):
        a write failing then, on a concurrent change, would roll back the
        record of a sending that happened, and the next run would send the
        email again. Locked first, they cannot fail; if one is busy, or
        changed since this transaction began, nothing is sent now.
        Returns whether the email can be sent."""
        cr = self.env.cr
        message = self.mail_message_id.sudo()
        record = self._webo_record()
        locks = [("SELECT id FROM mail_mail WHERE id = %s", self.id),
                 ("SELECT id FROM mail_message WHERE id = %s", message.id),
                 ("SELECT id FROM mail_message_res_partner_needaction_rel"
                  " WHERE mail_message_id = %s", message.id)]
        if record is not None and hasattr(record, "_webo_email_delivery_changed"):
            locks.append(('SELECT id FROM "%s" WHERE id = %%s' % record._table, record.id))
        try:
            with cr.savepoint():
                for query, row_id in locks:
                    cr.execute(query + " FOR NO KEY UPDATE NOWAIT", [row_id])
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure) as error:
            _logger.info("mail queue: email %s busy (%s), sent at the next run", self.id,
                         type(error).__name__)
            return False
        # What another transaction committed before the locks.
        self.invalidate_cache(ids=self.ids)
        message.invalidate_cache(ids=message.ids)
        if record is not None:
            record.invalidate_cache(ids=record.ids)
        return self.state == "outgoing"

    @staticmethod
    def _webo_quit(session):
        if session is None:
            return
        try:
            session.quit()
        except (smtplib.SMTPException, OSError) as error:
            _logger.debug("mail queue: the SMTP session was already closed: %s", error)

    def _webo_one_delivery_each(self):
        """An email for several recipients becomes one email each, of the
        same message (the same Message-Id): a failure then concerns one
        delivery, and its retry never reaches again a recipient who already
        received it. Returns every email to send."""
        result = self
        for mail in self.filtered(lambda m: m.state == "outgoing"
                                  and len(m.recipient_ids) + bool(m.email_to) > 1):
            extra = mail.recipient_ids if mail.email_to else mail.recipient_ids[1:]
            for partner in extra:
                result |= self.create({
                    "mail_message_id": mail.mail_message_id.id,
                    "body_html": mail.body_html,
                    "references": mail.references,
                    "headers": mail.headers,
                    "notification": mail.notification,
                    "auto_delete": mail.auto_delete,
                    "scheduled_date": mail.scheduled_date,
                    "recipient_ids": [(6, 0, partner.ids)],
                })
            mail.recipient_ids = [(3, partner.id) for partner in extra]
        return result

    # Failures

    def _webo_delivery_failed(self, error, connecting=False):
        """The mail server did not take these emails: each is tried again
        later (temporary failure within the retry period) or has failed for
        good. Returns the failure's kind."""
        kind, detail = delivery_failure(error)
        if connecting and kind == "other":
            # Odoo's own refusal to connect (no server configured...).
            kind = "unreachable"
        now = datetime.datetime.utcnow()
        period = datetime.timedelta(hours=self._webo_retry_hours())
        for mail in self.exists():
            first = fields.Datetime.from_string(mail.webo_first_failure) or now
            attempts = mail.webo_attempts + 1
            values = {"webo_attempts": attempts, "webo_first_failure": fields.Datetime.to_string(first),
                      "failure_reason": "%s: %s" % (kind, detail)}
            if kind in TEMPORARY and now - first < period:
                delay = min(RETRY_FIRST_MINUTES * 2 ** (attempts - 1), RETRY_LONGEST_MINUTES)
                values.update(state="outgoing", scheduled_date=fields.Datetime.to_string(
                    now + datetime.timedelta(minutes=delay)))
                mail.write(values)
                mail._webo_delivery_changed("pending", kind, detail)
                mail._webo_notifications().write({"email_status": "ready"})
                _logger.info("mail queue: email %s not taken (%s: %s), attempt %d, again in %d min",
                             mail.id, kind, detail, attempts, delay)
            else:
                values["state"] = "exception"
                mail.write(values)
                if kind in TEMPORARY:
                    mail._webo_give_up("expired", (kind, detail))
                else:
                    mail._webo_give_up(kind, detail)
        return kind

    def _webo_give_up(self, kind, detail):
        """The email has failed for good: its message and record say so and
        the designers are alerted."""
        self.ensure_one()
        _logger.warning("mail queue: email %s to %s failed for good (%s: %s)",
                        self.id, ", ".join(self._webo_addresses()), kind, detail)
        self._webo_notifications().write({"email_status": "exception"})
        self._webo_delivery_changed("failed", kind, detail)
        self._webo_alert_designers(kind, detail)

    def _webo_delivery_changed(self, state, kind=None, detail=None):
        """Record where the email stands on its message and tell its record
        (an invoice shows the state of its own email)."""
        self.ensure_one()
        message = self.mail_message_id.sudo()
        record = self._webo_record()
        reason = False
        if kind:
            reason = self.with_context(lang=self._webo_reader_lang(record))._webo_reason(kind, detail)
        message.write({"webo_delivery_state": state, "webo_delivery_error": reason})
        if record is not None and hasattr(record, "_webo_email_delivery_changed"):
            record._webo_email_delivery_changed(message, state, reason)

    def _webo_alert_designers(self, kind, detail):
        """Tell the designers of the email's workspace, in their Odoo inbox
        and by email (queued and retried like any other), that it failed."""
        message = self.mail_message_id.sudo()
        alert_subtype = self.env.ref("webo_sale.mt_email_failed")
        record = self._webo_record()
        if message.subtype_id == alert_subtype or record is None \
                or not hasattr(record, "message_post"):
            return  # no alert about an alert; nothing to attach it to
        designers = self._webo_designers(record)
        if not designers:
            return  # a record of no workspace: nobody to tell
        platform = self.env.ref("base.main_company").sudo().partner_id
        addresses = ", ".join(self._webo_addresses())
        for local, partners in designers._webo_by_language(record):
            subject, body = self.with_context(lang=local.env.lang)._webo_failure_alert(
                message, addresses, kind, detail)
            hint = getattr(local, "_webo_email_failure_hint", None)
            if hint:
                body += " " + hint()
            local.with_context(mail_create_nosubscribe=True).message_post(
                subject=subject, body=body,
                message_type="notification", subtype="webo_sale.mt_email_failed",
                partner_ids=partners.ids, author_id=platform.id)

    def _webo_failure_alert(self, message, addresses, kind, detail):
        """(subject, body) of the alert that ``message`` did not reach
        ``addresses``, in the context's language."""
        values = {"subject": message.subject or message.record_name or "",
                  "recipients": addresses, "reason": self._webo_reason(kind, detail)}
        return (_("Email not delivered: %(subject)s") % values,
                _("The email \"%(subject)s\" to %(recipients)s could not be delivered: "
                  "%(reason)s.") % values)

    def _webo_reason(self, kind, detail):
        """Why the email was not delivered, in the context's language."""
        if kind == "expired":
            kind_before, detail_before = detail
            return _("not accepted by the mail server within %(hours)s hours of attempts "
                     "(%(reason)s)") % {"hours": "%g" % self._webo_retry_hours(),
                                         "reason": self._webo_reason(kind_before, detail_before)}
        texts = {
            "unreachable": _("the mail server cannot be reached (%(detail)s)"),
            "timeout": _("the mail server does not answer"),
            "disconnected": _("the mail server closed the connection"),
            "deferred": _("the mail server put it off (%(detail)s)"),
            "garbage": _("the mail server gave an answer that is not SMTP (%(detail)s)"),
            "login": _("the mail server refuses the platform's login (%(detail)s)"),
            "rejected": _("the mail server refused it (%(detail)s)"),
            "invalid_address": _("the email address is not valid (%(detail)s)"),
        }
        if kind not in texts:
            return detail or kind
        return texts[kind] % {"detail": detail}

    # Helpers

    @api.model
    def _webo_retry_hours(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RETRY_HOURS_PARAMETER)
        try:
            return float(value) if value else RETRY_HOURS
        except ValueError:
            return RETRY_HOURS

    def _webo_record(self):
        """The record the email's message is about, if it still exists."""
        message = self.mail_message_id.sudo()
        if not message.model or not message.res_id or message.model not in self.env:
            return None
        record = self.env[message.model].sudo().browse(message.res_id).exists()
        return record or None

    def _webo_designers(self, record):
        company = "company_id" in record._fields and record.company_id
        if not company or not company.webo_workspace:
            return self.env["res.users"]
        return company._webo_designers()

    def _webo_reader_lang(self, record):
        """The language the designers read the reason in."""
        designers = self._webo_designers(record) if record is not None else self.env["res.users"]
        return designers[:1].lang or self.env.lang

    def _webo_addresses(self):
        addresses = [partner.email or partner.name for partner in self.sudo().recipient_ids]
        if self.email_to:
            addresses.append(self.email_to)
        return addresses

    def _webo_notifications(self):
        """The Odoo notifications (envelope icons) of this email's recipients."""
        return self.env["mail.notification"].sudo().search([
            ("mail_message_id", "=", self.mail_message_id.id), ("is_email", "=", True),
            ("res_partner_id", "in", self.recipient_ids.ids)])
