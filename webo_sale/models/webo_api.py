"""The checks of the public API's arguments (XML-RPC, docs/xmlrpc.rst).

An integrator's script sends anything: a string where an id goes, a date
that does not exist, a dictionary as a name, an argument too many. Each
documented method checks what it is given with these helpers before it
writes anything, and refuses in French, saying what to send: no Python
exception name, no SQL text ever reaches the caller."""
import datetime
import functools
import inspect
from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError, except_orm
from odoo.tools.misc import format_date


def webo_date(env, value):
    """A date as the user reads it (15/03/2026 in French), in the messages
    they get, whether or not their request carried their language."""
    return format_date(env, value, lang_code=env.lang or env.user.lang)


def empty(value):
    """A value an XML-RPC caller sends as "nothing": False, or None when
    the client allows it (0 is a number)."""
    return value is None or value is False


class ApiRefusal(UserError, ValidationError):
    """A model's constraint refused the values of an API call. Odoo 11
    answers an XML-RPC ValidationError with its traceback (Python's names
    and files); as a UserError it answers the French message alone. Still a
    ValidationError for the code that expects one."""

    def __init__(self, msg):
        except_orm.__init__(self, msg, value="")  # pylint: disable=non-parent-init-called


@contextmanager
def refusals_as_messages():
    """Constraint refusals (ValidationError) of the block reach an XML-RPC
    caller as their French message only (see ApiRefusal)."""
    try:
        yield
    except ValidationError as error:
        if isinstance(error, UserError):
            raise
        raise ApiRefusal(error.name) from error


def public_method(method):
    """Mark ``method`` as part of the documented API (put it under
    ``@api.model`` or ``@api.multi``): arguments that do not fit its
    signature, and record ids that are not ids of existing records, are
    refused in French before it runs."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        checks = self.env["webo.api"]
        checks._check_arguments(self, method.__name__, signature, args, kwargs)
        checks._check_ids(self)
        with refusals_as_messages():
            return method(self, *args, **kwargs)

    # Odoo's RPC layer reads a method's arguments (odoo.api.split_context
    # takes a positional argument beyond them as the context): the
    # checking wrapper shows the method's own.
    checked.__signature__ = signature
    checked.webo_public = True
    return checked


class WeboApi(models.AbstractModel):
    _name = "webo.api"
    _description = "Checks of the XML-RPC API's arguments"

    # The call itself

    @api.model
    def _check_arguments(self, records, name, signature, args, kwargs):
        try:
            signature.bind(records, *args, **kwargs)
        except TypeError:
            parameters = list(signature.parameters.values())[1:]
            names = [parameter.name for parameter in parameters]
            required = [parameter.name for parameter in parameters
                        if parameter.default is inspect.Parameter.empty]
            problems = []
            if len(args) > len(names):
                problems.append(_("%(given)s positional arguments given, at most %(allowed)s")
                                % {"given": len(args), "allowed": len(names)})
            unknown = sorted(set(kwargs) - set(names))
            if unknown:
                problems.append(_("unknown argument(s) %(names)s") % {"names": ", ".join(unknown)})
            twice = [arg for index, arg in enumerate(names) if index < len(args) and arg in kwargs]
            if twice:
                problems.append(_("given twice %(names)s") % {"names": ", ".join(twice)})
            missing = [arg for index, arg in enumerate(names)
                       if arg in required and index >= len(args) and arg not in kwargs]
            if missing:
                problems.append(_("missing argument(s) %(names)s") % {"names": ", ".join(missing)})
            raise UserError(_(
                "%(model)s.%(method)s was called with arguments it does not take (%(problems)s): "
                "it takes %(signature)s. See the XML-RPC reference."
            ) % {"model": records._name, "method": name, "problems": "; ".join(problems),
                 "signature": self._signature_text(records, name, signature)}) from None

    @api.model
    def _signature_text(self, records, name, signature):
        parameters = [str(parameter) for parameter in list(signature.parameters.values())[1:]]
        if getattr(getattr(type(records), name), "_api", None) != "model":
            parameters.insert(0, "[ids]")
        return "%s(%s)" % (name, ", ".join(parameters))

    @api.model
    def _check_ids(self, records):
        """The records a method is called on: existing ones, given by their ids."""
        wrong = [record_id for record_id in records._ids
                 if not isinstance(record_id, int) or isinstance(record_id, bool)]
        if wrong:
            raise UserError(_("%(model)s ids are whole numbers (given: %(ids)s).")
                            % {"model": records._name, "ids": ", ".join(map(repr, wrong))})
        missing = records - records.exists()
        if missing:
            raise UserError(_("There is no %(model)s with id %(ids)s (deleted, or never created).")
                            % {"model": records._name, "ids": ", ".join(map(str, missing.ids))})

    @api.model
    def _check_one(self, records):
        """A method that acts on one record was given exactly one."""
        if len(records) != 1:
            raise UserError(_("Send exactly one %(model)s id (%(count)s given).")
                            % {"model": records._name, "count": len(records)})
        return records

    # Values

    @api.model
    def _check_id(self, value, label, required=True):
        """A record id: a whole number (what it names is the caller's check)."""
        if empty(value) and not required:
            return value
        if not isinstance(value, int) or isinstance(value, bool):
            raise UserError(_("%(label)s: send the id of a record, a whole number (given: %(value)s).")
                            % {"label": label, "value": self._shown(value)})
        return value

    @api.model
    def _check_text(self, value, label, required=True):
        """A string (not empty unless not ``required``); returns it."""
        if empty(value) and not required:
            return value
        if not isinstance(value, str) or (required and not value.strip()):
            raise UserError(_("%(label)s: enter a text%(required)s (given: %(value)s).") % {
                "label": label, "required": _(", not empty") if required else "",
                "value": self._shown(value)})
        return value

    @api.model
    def _check_number(self, value, label, minimum=None, above=None, maximum=None, integer=False,
                      required=True):
        """A number (a whole one if ``integer``), at least ``minimum``,
        above ``above``, at most ``maximum``; returns it."""
        if empty(value) and not required:
            return value
        valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        if valid and integer and isinstance(value, float):
            valid = value.is_integer()
        if (not valid or (minimum is not None and value < minimum) or (above is not None and value <= above)
                or (maximum is not None and value > maximum)):
            bounds = []
            if minimum is not None:
                bounds.append(_("at least %(number)s") % {"number": minimum})
            if above is not None:
                bounds.append(_("above %(number)s") % {"number": above})
            if maximum is not None:
                bounds.append(_("at most %(number)s") % {"number": maximum})
            kind = _("a whole number") if integer else _("a number")
            raise UserError(_("%(label)s: enter %(kind)s%(bounds)s (given: %(value)s).") % {
                "label": label, "kind": kind, "bounds": (bounds and " " + ", ".join(bounds)) or "",
                "value": self._shown(value)})
        return int(value) if integer else value

    @api.model
    def _check_boolean(self, value, label):
        if not isinstance(value, bool):
            raise UserError(_("%(label)s: send true or false (given: %(value)s).")
                            % {"label": label, "value": self._shown(value)})
        return value

    @api.model
    def _check_choice(self, value, label, choices):
        """One of ``choices`` (a selection: [(value, label)]); returns it."""
        values = [choice[0] for choice in choices]
        if isinstance(value, (dict, list)) or value not in values:
            raise UserError(_("%(label)s: choose one of %(choices)s (given: %(value)s).") % {
                "label": label, "value": self._shown(value),
                "choices": ", ".join("%s (%s)" % (key, name) for key, name in choices)})
        return value

    @api.model
    def _check_date(self, value, label, earliest=None, latest=None, required=True):
        """A date written YYYY-MM-DD (a date object from Python code),
        between ``earliest`` and ``latest`` when given; returns it as
        YYYY-MM-DD."""
        if empty(value) and not required:
            return value
        if isinstance(value, datetime.date):
            value = fields.Date.to_string(value)
        try:
            day = datetime.datetime.strptime(value, "%Y-%m-%d").date()
        except (TypeError, ValueError):
            raise UserError(_(
                "%(label)s: %(value)s is not a date; write it YYYY-MM-DD, e.g. 2026-03-31."
            ) % {"label": label, "value": self._shown(value)}) from None
        earliest = earliest and fields.Date.from_string(earliest)
        latest = latest and fields.Date.from_string(latest)
        if (earliest and day < earliest) or (latest and day > latest):
            self._refuse_date(label, day, earliest, latest)
        return fields.Date.to_string(day)

    @api.model
    def _refuse_date(self, label, day, earliest=None, latest=None, reason=""):
        shown = {"label": label, "date": format_date(self.env, fields.Date.to_string(day)),
                 "earliest": earliest and format_date(self.env, fields.Date.to_string(earliest)),
                 "latest": latest and format_date(self.env, fields.Date.to_string(latest)),
                 "reason": reason and " " + reason}
        if earliest and latest:
            message = _("%(label)s %(date)s is not allowed: choose a date from %(earliest)s "
                        "to %(latest)s.%(reason)s")
        elif earliest:
            message = _("%(label)s %(date)s is not allowed: choose a date on or after "
                        "%(earliest)s.%(reason)s")
        else:
            message = _("%(label)s %(date)s is not allowed: choose a date on or before "
                        "%(latest)s.%(reason)s")
        raise UserError(message % shown)

    @api.model
    def _check_record(self, model, value, label, domain=None, required=True):
        """The id of a record of ``model`` the user may use (within
        ``domain``, under their record rules); returns the record."""
        if empty(value) and not required:
            return self.env[model]
        self._check_id(value, label)
        record = self.env[model].with_context(active_test=False).search(
            [("id", "=", value), *(domain or [])])
        if not record:
            raise UserError(_("%(label)s: %(id)s is not one you can use here (it does not exist, "
                              "or belongs to another workspace).") % {"label": label, "id": value})
        return record.with_context(active_test=self.env.context.get("active_test", True))

    @api.model
    def _check_dict(self, value, label, allowed=None, required=()):
        """A dictionary with the ``required`` keys and no other than ``allowed``."""
        if not isinstance(value, dict):
            raise UserError(_("%(label)s: send a dictionary of values (given: %(value)s).")
                            % {"label": label, "value": self._shown(value)})
        unknown = sorted(set(value) - set(allowed)) if allowed is not None else []
        missing = [key for key in required if empty(value.get(key))]
        if unknown or missing:
            raise UserError(_("%(label)s: %(problem)s; the keys are %(keys)s.") % {
                "label": label,
                "problem": "; ".join(
                    ([_("unknown key(s) %(keys)s") % {"keys": ", ".join(unknown)}] if unknown else [])
                    + ([_("missing %(keys)s") % {"keys": ", ".join(missing)}] if missing else [])),
                "keys": ", ".join(sorted(allowed if allowed is not None else value))})
        return value

    @api.model
    def _check_values(self, model, values, create=False, given=()):
        """The values of a create (``create``) or write of ``model``: each
        a field of it, of the field's type (ids of existing records, dates
        that exist, commands of one-to-many lines...), the required ones
        given and not blank. Business rules (a client of the workspace, a
        quantity above zero) are the model's own checks. ``given``: fields
        set by the caller (a line's parent)."""
        records = self.env[model]
        self._check_dict(values, self._model_label(model))
        for name, value in values.items():
            field = records._fields.get(name)
            if field is None:
                raise UserError(_("%(model)s has no field %(field)s: see the XML-RPC reference.")
                                % {"model": model, "field": name})
            self._check_field_value(field, value)
        if create:
            required = [name for name, field in records._fields.items()
                        if field.required and field.store and not field.compute and not field.related
                        and name not in values and name not in given
                        and name not in models.MAGIC_COLUMNS]
            defaults = records.default_get(required) if required else {}
            missing = [name for name in required if empty(defaults.get(name))]
            if missing:
                raise UserError(_("%(model)s: %(fields)s must be given.") % {
                    "model": self._model_label(model),
                    "fields": ", ".join(self._label(records._fields[name]) for name in missing)})

    @api.model
    def _label(self, field):
        return "%s (%s)" % (self._field_label(field), field.name)

    @api.model
    def _in_user_lang(self):
        """This environment in the language messages are written in: the
        context's, else the user's (an XML-RPC call has no context)."""
        return self.with_context(lang=self.env.lang or self.env.user.lang).env

    @api.model
    def _field_label(self, field):
        return field.get_description(self._in_user_lang())["string"]

    @api.model
    def _model_label(self, model):
        return self._in_user_lang()["ir.model"]._get(model).name

    @api.model
    def _check_field_value(self, field, value):
        label = self._label(field)
        kind = field.type
        if empty(value):
            if field.required and kind not in ("boolean", "integer", "float", "monetary"):
                raise UserError(_("%(label)s must be given.") % {"label": label})
            return
        if kind in ("char", "text", "html"):
            self._check_text(value, label, required=field.required)
        elif kind == "selection":
            self._check_choice(value, label, field.get_description(self._in_user_lang())["selection"])
        elif kind == "integer":
            self._check_number(value, label, integer=True)
        elif kind in ("float", "monetary"):
            self._check_number(value, label)
        elif kind == "boolean" and value not in (0, 1):
            self._check_boolean(value, label)
        elif kind == "date":
            self._check_date(value, label)
        elif kind == "datetime":
            self._check_datetime(value, label)
        elif kind == "many2one" and not isinstance(value, models.BaseModel):
            self._check_existing(field.comodel_name, [value], label)
        elif kind in ("one2many", "many2many"):
            self._check_commands(field, value, label)
        elif kind == "binary" and not isinstance(value, (str, bytes)):
            raise UserError(_("%(label)s: send the file's content in base64 (given: %(value)s).")
                            % {"label": label, "value": self._shown(value)})

    @api.model
    def _check_datetime(self, value, label):
        valid = isinstance(value, datetime.datetime)
        if isinstance(value, str):
            try:
                fields.Datetime.from_string(value)
                valid = True
            except ValueError:
                valid = False
        if not valid:
            raise UserError(_("%(label)s: %(value)s is not a date and time; write it YYYY-MM-DD "
                              "HH:MM:SS (UTC).") % {"label": label, "value": self._shown(value)})

    @api.model
    def _check_existing(self, model, ids, label):
        """Records of ``model`` the user may use: whole numbers, ids of
        records that exist and that their record rules let them read (their
        workspace's)."""
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise UserError(_("%(label)s: send the id of a record, a whole number (given: %(value)s).")
                            % {"label": label, "value": self._shown(ids if len(ids) > 1 else ids[0])})
        missing = set(ids) - set(self.env[model].browse(ids).exists().ids)
        if missing:
            raise UserError(_("%(label)s: there is no record %(ids)s (deleted, or never created).")
                            % {"label": label, "ids": ", ".join(map(str, sorted(missing)))})
        foreign = set(ids) - set(self.env[model].with_context(active_test=False).search(
            [("id", "in", list(set(ids)))]).ids)
        if foreign:
            raise UserError(_("%(label)s: %(id)s is not one you can use here (it does not exist, "
                              "or belongs to another workspace).")
                            % {"label": label, "id": ", ".join(map(str, sorted(foreign)))})

    @api.model
    def _check_commands(self, field, value, label):
        """One-to-many / many-to-many commands: [(0, 0, {values}), (1, id,
        {values}), (2, id), (3, id), (4, id), (5,), (6, 0, [ids])], or a
        list of ids."""
        wrong = _("%(label)s: send a list of commands such as [(0, 0, {values})] or "
                  "[(6, 0, [ids])] (given: %(value)s).") % {"label": label, "value": self._shown(value)}
        if not isinstance(value, (list, tuple)):
            raise UserError(wrong)
        comodel = field.comodel_name
        for command in value:
            if isinstance(command, int) and not isinstance(command, bool):
                self._check_existing(comodel, [command], label)
                continue
            if not isinstance(command, (list, tuple)) or not command or command[0] not in range(7):
                raise UserError(wrong)
            code = command[0]
            if code == 5:
                continue
            if len(command) < (3 if code in (0, 1, 6) else 2):
                raise UserError(wrong)
            if code in (1, 2, 3, 4):
                self._check_existing(comodel, [command[1]], label)
            if code in (0, 1):
                inverse = (field.inverse_name,) if field.type == "one2many" else ()
                self._check_values(comodel, command[2], create=code == 0, given=inverse)
            elif code == 6:
                if not isinstance(command[2], (list, tuple)):
                    raise UserError(wrong)
                if command[2]:
                    self._check_existing(comodel, list(command[2]), label)

    @api.model
    def _shown(self, value):
        """A value as the refusal quotes it: short, without Python's type names."""
        if isinstance(value, str):
            text = '"%s"' % value
        elif isinstance(value, dict):
            text = "{...}"
        elif isinstance(value, (list, tuple)):
            text = "[...]" if value else "[]"
        elif value is None or value is False:
            text = _("nothing")
        else:
            text = str(value)
        return text if len(text) <= 60 else text[:57] + "..."


class WeboApiChecked(models.AbstractModel):
    """The create and write of a model of the documented API check their
    values first (``webo.api._check_values``)."""

    _name = "webo.api.checked"
    _description = "Values checked before create and write"

    @api.model
    def create(self, vals):
        self.env["webo.api"]._check_values(self._name, vals, create=True)
        with refusals_as_messages():
            return super().create(vals)

    @api.multi
    def write(self, vals):
        self.env["webo.api"]._check_values(self._name, vals)
        with refusals_as_messages():
            return super().write(vals)
