"""Which open invoices a bank transfer pays: the rules, without Odoo.

A credit line of a bank statement carries what the client's bank passed on:
the remittance text the client typed (the invoice number, more or less),
the amount, the payer's name and IBAN, the date. ``decide`` weighs them
against the workspace's open invoices and answers one of:

* ``sure``: reconciled at once. Two independent signals agree: the invoice
  number and the amount, or the invoice number and the payer (for a
  partial payment), or the payer's IBAN, already seen on this client, and
  the only open invoice of that amount;
* ``proposed``: a likely match, with its reason, for the designer to
  confirm or reject;
* ``none``: nothing to propose, with the reason.

Amounts are in cents (integers): no float is compared. Nothing here reads
the database; the caller gives the workspace's open invoices and clients
only, so that nothing can be matched to another workspace's invoice.
"""
import re
import unicodedata
from collections import namedtuple

# An open invoice as the matcher sees it: residual and total in cents,
# dates as ISO strings, ``client`` the commercial partner's id.
Invoice = namedtuple("Invoice", "id number key client residual date")
# A statement credit line: ``text`` the remittance information and
# references joined, ``payer_name`` / ``payer_iban`` as the bank gave them.
Line = namedtuple("Line", "id text amount date payer_name payer_iban")
# The answer: ``invoices`` in the order they are paid, ``amounts`` what
# each receives (cents), ``rule`` the rule's code (see RULES), ``client``.
Decision = namedtuple("Decision", "kind rule invoices amounts client")

# The rules, in the order they are tried; each has its README entry and
# its test.
RULES = (
    "reference_amount",      # sure: the invoice number(s) and exactly what they still owe
    "reference_partial",     # sure: one invoice number, less than it owes, paid by its client
    "iban_amount",           # sure: no number; the client's known IBAN and its only invoice of that amount
    "reference_other_payer",  # proposed: the number is right but another client's IBAN paid it
    "reference_unsure",      # proposed: the number, but the amount and the payer do not confirm it
    "reference_several_clients",  # proposed: numbers of invoices of several clients
    "number_only_amount",    # proposed: a number without its prefix, and the amount
    "iban_several",          # proposed: the client's IBAN, several invoices of that amount
    "iban_sum",              # proposed: the client's IBAN, two of its invoices add up to the amount
    "name_amount",           # proposed: the payer's name is a client's, its only invoice of that amount
    "amount_only",           # proposed: no number, unknown payer, the only open invoice of that amount
    "more_than_due",         # none: the invoices named are owed less than the transfer
    "already_paid",          # none: the invoice named is paid or cancelled
    "nothing",               # none: no number, no known payer, no single invoice of that amount
)

# Forms clients type an invoice number in: the prefix, the year and the
# sequence, with any spacing, punctuation and case, zeros left out
# ("FAC/2026/0004", "fac 2026 4", "FAC2026-0004", "Facture FAC-2026-004").
_SEPARATORS = r"[\s/\\._\-:#°]*"
_YEAR = r"((?:19|20)\d\d)"
_SEQUENCE = r"(\d{1,7})(?!\d)"
# A second number right after the first, without prefix and year
# ("FAC/2026/0004 et 0005"): only ever a weak reference.
_CONTINUATION = re.compile(r"\A\s*(?:ET|&|\+|,|;|/)\s*(\d{1,7})(?![\d/.\-])")
# Legal forms and civilities, left out when names are compared.
_NAME_NOISE = {
    "SARL", "SAS", "SASU", "SA", "EURL", "SCI", "SNC", "SCOP", "SELARL", "EI", "EIRL",
    "M", "MR", "MME", "MLLE", "MONSIEUR", "MADAME", "STE", "SOCIETE", "ETS", "ETABLISSEMENTS",
    "ET", "LE", "LA", "LES", "DE", "DU", "DES", "L", "D", "CO",
}


def plain(text):
    """Upper case, no accents, ASCII only."""
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in text if not unicodedata.combining(char)).upper()


def number_key(number):
    """(prefix, year, sequence) of an invoice number such as
    ``FAC/2026/0004``: ``("FAC", 2026, 4)``; None for a number of another
    form."""
    match = re.match(r"\A([A-Z]*)" + _SEPARATORS + _YEAR + _SEPARATORS + r"(\d+)\Z", plain(number))
    if not match:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3))


def references(text, prefixes):
    """The invoice numbers ``text`` names: (strong, weak) sets of keys.
    Strong: prefix, year and sequence. Weak: the year and sequence
    without a prefix (prefix None), or a sequence listed after a strong
    number."""
    text = plain(text)
    strong, weak = set(), set()
    spans = []
    if prefixes:
        alternatives = "|".join(sorted((re.escape(p) for p in prefixes if p), key=len, reverse=True))
        pattern = re.compile(r"(?<![A-Z0-9])(" + alternatives + r")" + _SEPARATORS + _YEAR
                             + _SEPARATORS + _SEQUENCE)
        for match in pattern.finditer(text):
            prefix, year = match.group(1), int(match.group(2))
            strong.add((prefix, year, int(match.group(3))))
            spans.append(match.span())
            position = match.end()
            while True:
                more = _CONTINUATION.match(text, position)
                if not more:
                    break
                weak.add((prefix, year, int(more.group(1))))
                position = more.end()
    bare = re.compile(r"(?<![A-Z0-9])" + _YEAR + r"[\s/\\._\-]+" + _SEQUENCE)
    for match in bare.finditer(text):
        if not any(start <= match.start() < end for start, end in spans):
            weak.add((None, int(match.group(1)), int(match.group(2))))
    return strong, weak - strong


def name_tokens(name):
    """The words of a name that tell it apart (no legal form, no civility)."""
    words = re.findall(r"[A-Z0-9]+", plain(name))
    return frozenset(word for word in words if word not in _NAME_NOISE and len(word) > 1)


def iban_plain(iban):
    return re.sub(r"[^A-Z0-9]", "", plain(iban))


class Workspace:
    """One workspace's open invoices and clients, indexed for matching.

    ``invoices``: Invoice tuples (open, something still due). ``ibans``:
    {IBAN: client id} of the accounts its clients paid from before.
    ``names``: {client id: name}. ``prefixes``: the prefixes of its
    invoice numbers. ``closed``: keys of its numbered invoices that are paid
    or cancelled (a transfer naming one is not matched elsewhere)."""

    def __init__(self, invoices, ibans, names, prefixes, closed=()):
        self.invoices = {invoice.id: invoice for invoice in invoices}
        self.by_key = {}
        self.by_bare_key = {}
        for invoice in invoices:
            if invoice.key:
                self.by_key.setdefault(invoice.key, []).append(invoice.id)
                self.by_bare_key.setdefault(invoice.key[1:], []).append(invoice.id)
        self.ibans = {iban_plain(iban): client for iban, client in ibans.items()}
        self.names = {}
        for client, name in names.items():
            tokens = name_tokens(name)
            if sum(len(token) for token in tokens) >= 4:
                self.names[client] = tokens
        self.prefixes = set(prefixes)
        self.closed = set(closed)
        self.residual = {invoice.id: invoice.residual for invoice in invoices}

    # What is still due changes as the lines of a statement are matched.

    def paid(self, decision):
        """Take a decision's amounts off what its invoices still owe."""
        for invoice_id, amount in zip(decision.invoices, decision.amounts, strict=True):
            self.residual[invoice_id] -= amount

    def open_ids(self, ids, date=None):
        return [i for i in ids if self.residual.get(i, 0) > 0
                and (date is None or self.invoices[i].date <= date)]

    def by_client(self, client):
        return [i for i, invoice in self.invoices.items() if invoice.client == client]

    # The decision.

    def decide(self, line):
        if line.amount <= 0:
            return Decision("none", "nothing", (), (), None)
        payer = self.ibans.get(iban_plain(line.payer_iban)) if line.payer_iban else None
        strong, weak = references(line.text, self.prefixes)
        named = self._keys_to_ids(strong)
        if named:
            return self._by_reference(line, named, weak, payer)
        if strong & self.closed:
            return Decision("none", "already_paid", (), (), None)
        bare = self.open_ids([i for key in weak for i in self._ids_of_weak(key)], line.date)
        if bare:
            return self._by_bare_number(line, bare, payer)
        return self._without_reference(line, payer)

    def _keys_to_ids(self, keys):
        ids = []
        for key in sorted(keys, key=lambda k: (k[1], k[2], k[0])):
            for invoice_id in self.by_key.get(key, ()):
                if invoice_id not in ids:
                    ids.append(invoice_id)
        return ids

    def _ids_of_weak(self, key):
        if key[0] is None:
            return self.by_bare_key.get(key[1:], ())
        return self.by_key.get(key, ())

    def _by_reference(self, line, named, weak, payer):
        open_named = self.open_ids(named)
        if not open_named:
            return Decision("none", "already_paid", (), (), None)
        clients = {self.invoices[i].client for i in open_named}
        due = sum(self.residual[i] for i in open_named)
        if len(clients) > 1:
            return self._proposal("reference_several_clients", line, open_named, None)
        client = clients.pop()
        if payer and payer != client:
            return self._proposal("reference_other_payer", line, open_named, client)
        dated = all(self.invoices[i].date <= line.date for i in open_named)
        if line.amount == due and dated:
            return self._full("sure", "reference_amount", open_named, client)
        if line.amount > due:
            # Invoices listed after the first number may make up the amount.
            extra = [i for i in self.open_ids(self._keys_to_ids(weak), line.date)
                     if i not in open_named and self.invoices[i].client == client]
            if extra and sum(self.residual[i] for i in open_named + extra) == line.amount and dated:
                return self._full("sure", "reference_amount", open_named + extra, client)
            return Decision("none", "more_than_due", tuple(open_named), (), client)
        recognised = payer == client or self._name_client(line.payer_name) == client
        if len(open_named) == 1 and recognised and dated:
            return Decision("sure", "reference_partial", tuple(open_named), (line.amount,), client)
        return self._proposal("reference_unsure", line, open_named, client)

    def _by_bare_number(self, line, bare, payer):
        clients = {self.invoices[i].client for i in bare}
        if len(clients) == 1 and (not payer or payer in clients):
            if sum(self.residual[i] for i in bare) == line.amount:
                return self._full("proposed", "number_only_amount", bare, clients.pop())
            exact = [i for i in bare if self.residual[i] == line.amount]
            if len(exact) == 1:
                return self._full("proposed", "number_only_amount", exact, clients.pop())
        return self._without_reference(line, payer)

    def _without_reference(self, line, payer):
        if payer:
            mine = self.open_ids(self.by_client(payer), line.date)
            exact = [i for i in mine if self.residual[i] == line.amount]
            if len(exact) == 1:
                return self._full("sure", "iban_amount", exact, payer)
            if exact:
                oldest = min(exact, key=lambda i: (self.invoices[i].date, i))
                return self._full("proposed", "iban_several", [oldest], payer)
            pair = self._pair(mine, line.amount)
            if pair:
                return self._full("proposed", "iban_sum", pair, payer)
            return Decision("none", "nothing", (), (), payer)
        named_client = self._name_client(line.payer_name)
        if named_client:
            exact = [i for i in self.open_ids(self.by_client(named_client), line.date)
                     if self.residual[i] == line.amount]
            if len(exact) == 1:
                return self._full("proposed", "name_amount", exact, named_client)
        exact = [i for i in self.open_ids(list(self.invoices), line.date)
                 if self.residual[i] == line.amount]
        if len(exact) == 1:
            return self._full("proposed", "amount_only", exact, self.invoices[exact[0]].client)
        return Decision("none", "nothing", (), (), None)

    def _pair(self, ids, amount):
        """Two invoices adding up to ``amount`` exactly, if only one pair does."""
        found = []
        seen = {}
        for invoice_id in sorted(ids):
            other = seen.get(amount - self.residual[invoice_id])
            if other is not None:
                found.append([other, invoice_id])
                if len(found) > 1:
                    return None
            seen.setdefault(self.residual[invoice_id], invoice_id)
        return found[0] if found else None

    def _name_client(self, payer_name):
        """The one client whose name the payer's name contains, or None."""
        tokens = name_tokens(payer_name)
        if not tokens:
            return None
        found = [client for client, name in self.names.items() if name <= tokens]
        return found[0] if len(found) == 1 else None

    def _full(self, kind, rule, ids, client):
        ids = tuple(sorted(ids, key=lambda i: (self.invoices[i].date, i)))
        return Decision(kind, rule, ids, tuple(self.residual[i] for i in ids), client)

    def _proposal(self, rule, line, ids, client):
        """The invoices named, oldest first, each receiving what it owes
        until the amount runs out."""
        ids = sorted(ids, key=lambda i: (self.invoices[i].date, i))
        left, chosen, amounts = line.amount, [], []
        for invoice_id in ids:
            if left <= 0:
                break
            part = min(left, self.residual[invoice_id])
            chosen.append(invoice_id)
            amounts.append(part)
            left -= part
        if left > 0:
            return Decision("none", "more_than_due", tuple(ids), (), client)
        return Decision("proposed", rule, tuple(chosen), tuple(amounts), client)
