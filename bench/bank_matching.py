"""Bank transfers matched with the invoices they pay: webo's automatic
matching against Odoo 11's own automatic reconciliation of statement
lines, side by side on the same statement lines.

In-process (no server), on the benchmark's fresh database. Ten workspaces
(the demo's two and eight more), each with CLIENTS clients and an open
payment-receiving account, hold INVOICES open invoices between them
(default 20,000) with realistic numbers (``FAC/2026/0001``...) and amounts
(50 to 5,000 EUR, cents included). One invoice a workspace is made and
validated by Odoo; the others are copies of it, row for row by SQL
(invoice, journal entry, journal items, invoice line), each with its own
number, client and amount. Two thirds of the clients have paid before
from an IBAN the workspace knows (a bank account on the client).

Each workspace gets one statement of LINES / 10 credit lines (default
10,000 in all), each paying invoices of that workspace as clients type
transfers: the invoice number with noise (spacing, punctuation, case,
zeros left out, words around it: "Reglement fac 2026 123 merci"), 5 %
without any reference, 5 % paying part of an invoice, 2 % paying two
invoices of one client in one transfer; the payer's name (upper case,
sometimes with its legal form) and IBAN. As Odoo's own import does, a line
whose IBAN is known gets that client as its partner.

* ours: ``account.bank.statement.line._webo_match()`` on the statement's
  lines, as its import runs it: the sure matches reconciled (Odoo's
  ``process_reconciliation``, in batches whose recomputations are written
  once, each batch followed by its payments' receipts and the deferred
  purchases' settlement), the others proposed or left, then the
  designers' one alert listing the statement's payments;
* Odoo: the reconciliation widget's automatic pass on the same lines, as
  the statement's "Reconcile" button runs it:
  ``reconciliation_widget_preprocess`` (partners from references) then
  ``reconciliation_widget_auto_reconcile`` (a reference equal to the
  journal item's, or one journal item of the partner with that amount),
  each line reconciled in a savepoint as Odoo does (each payment with its
  own alert to the designers, and the client's receipt).

Each side's time is all of that work, done inline: nothing is left to a
scheduled job, but for the sending of the emails both sides put in the
mail queue (the receipts, the alerts), which neither side's time counts.

Each side runs in a transaction that is rolled back after it is measured
and checked: both see the same open invoices. Counted per statement line,
against what it really pays: ``right`` (reconciled with exactly those
invoices and amounts), ``wrong`` (reconciled otherwise), ``proposed``
(ours only: left for one-click confirmation), ``unmatched``.

The lines a matcher can tell (``matchable``) are those with an invoice
number, and those without one whose payer's IBAN the workspace knows; the
others (no number, an unknown account) can only be proposed.

Output: ``RESULT right=.. wrong=.. proposed=.. unmatched=.. ours_s=..
odoo_s=.. odoo_right=.. odoo_wrong=.. lines=.. matchable=..
ours_per_reconciled_s=.. odoo_per_reconciled_s=..`` (the last two: each
side's time divided by the lines it reconciled; both reconcile through
Odoo's ``process_reconciliation`` and the same receipt).
Goal: wrong=0, right at least 95 % of the matchable lines, ours_s <=
odoo_s. WEBO_BENCH_LINES and WEBO_BENCH_INVOICES make it smaller;
WEBO_BENCH_PROFILE=<prefix> writes each timed side's cProfile statistics
(all workspaces together) to <prefix>.<side>.prof (for pstats).
WEBO_BENCH_PARALLEL=N matches N workspaces at once, each in a process of
its own forked once the set-up is done (both sides of a workspace in the
same process, one after the other, so that each side runs beside the
same kind of neighbour): the whole run in about 1/N of the time on N
cores, each side's time measured under that load (so compare the two
sides of one run, not runs with different N; with WEBO_BENCH_PROFILE
the run stays in one process, where the profile is). The tiny run forks
2, so that ``make test`` checks that path too.
"""
import cProfile
import datetime
import multiprocessing
import os
import random
import sys
import time

from webo_bench import OdooBench, load_odoo, size

INVOICES = size("WEBO_BENCH_INVOICES", 20000, 30)
LINES = size("WEBO_BENCH_LINES", 10000, 6)
WORKSPACES = size("WEBO_BENCH_WORKSPACES", 10, 2)
CLIENTS = size("WEBO_BENCH_CLIENTS", 100, 5)  # per workspace
SEED = 20
PROFILE = os.environ.get("WEBO_BENCH_PROFILE")
# Workspaces matched at once, each in a process of its own (both sides
# of a workspace in the same process, one after the other).
PARALLEL = size("WEBO_BENCH_PARALLEL", 1, 2)  # tiny: the forked path checked too
SWITCH_LOCK = multiprocessing.get_context("fork").Lock()
PROFILES = {}
WORDS = ["VIR SEPA", "Virement", "Paiement", "Reglement", "REGLT", "facture", "Fact.", "merci",
         "ref", "Réf.", "n°", "pour", "site web", "maintenance", "acompte", "solde", "du 15/03",
         "client", "VIR INST", "de la part de"]


def iban_de(number):
    """A valid German IBAN for a made-up account number."""
    bban = "37040044%010d" % number
    check = 98 - int(bban + "131400") % 97
    return "DE%02d%s" % (check, bban)


def noisy(number, rng):
    """An invoice number as a client types it."""
    prefix, year, sequence = number.split("/")
    sequence_typed = str(int(sequence)) if rng.random() < 0.35 else sequence
    separator = rng.choice(["/", " ", "-", "", ".", " / ", "_"])
    text = rng.choice([prefix, prefix.lower(), prefix.capitalize()])
    if rng.random() < 0.25:
        typed = "%s%s%s%s" % (text, year, rng.choice(["-", " ", "/", ""]), sequence_typed)
    else:
        typed = separator.join([text, year, sequence_typed])
    before = " ".join(rng.sample(WORDS, rng.randint(0, 2)))
    after = " ".join(rng.sample(WORDS, rng.randint(0, 2)))
    return " ".join(part for part in (before, typed, after) if part)


def timed(side, function):
    """Seconds ``function()`` took, profiled into PROFILES[side] if asked."""
    started = time.perf_counter()
    if PROFILE:
        PROFILES.setdefault(side, cProfile.Profile()).runcall(function)
    else:
        function()
    return time.perf_counter() - started


class Bench(OdooBench):
    copy_money = "round(t.%s * c.factor, 2)"  # the template is 100 EUR

    def __init__(self, odoo, database):
        super().__init__(odoo, database)
        self.today = datetime.date.today()
        self.rng = random.Random(SEED)
        self.truth = {}  # statement line id: {invoice id: amount in cents}
        # The lines a matcher can tell: those with an invoice number, and
        # those without one whose payer's IBAN the workspace knows.
        self.matchable = set()
        self.legal_kind, self.iban, self.journals = {}, {}, {}

    # Set-up (committed: the database is throw-away)

    def setup(self):
        started = time.perf_counter()
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            workspaces = self.workspaces(env, WORKSPACES, self._workspace)
            statements = {}
            for workspace in workspaces:
                clients = self._clients(env, workspace)
                self._open(env, workspace)
                # Dated today: an invoice is not dated before the last one
                # its journal issued (the demo's workspaces issued today).
                template = self.template_invoice(
                    env, workspace, clients[0], str(self.today),
                    str(self.today + datetime.timedelta(days=30)), 100.0)
                cr.commit()
                invoices = self._copy(cr, template, clients, INVOICES // len(workspaces))
                cr.commit()
                statements[workspace.id] = self._statement(env, workspace, clients, invoices)
                cr.commit()
        print("set-up: %d workspaces, %d open invoices, %d statement lines (%.0f s)"
              % (len(workspaces), INVOICES // len(workspaces) * len(workspaces), len(self.truth),
                 time.perf_counter() - started))
        return statements

    def _workspace(self, env, index):
        from odoo.addons.webo_sale.tests.common import french_identifiers
        siret, vat = french_identifiers("Atelier bench %d" % index)
        company = env["res.company"].create({
            "name": "Atelier bench %d" % index, "webo_workspace": True, "siret": siret, "vat": vat,
            "country_id": env.ref("base.fr").id, "currency_id": env.ref("base.EUR").id})
        company._webo_install_accounting()
        return company

    def _clients(self, env, workspace):
        partners = env["res.partner"]
        kinds = ["SARL", "SAS", "", "EURL", ""]
        for number in range(CLIENTS):
            name = "%s %s %d" % (self.rng.choice(["Boulangerie", "Garage", "Cabinet", "Atelier", "Studio",
                                                  "Fleuriste", "Restaurant", "Librairie"]),
                                 self.rng.choice(["Dupont", "Martin", "Leroy", "Moreau", "Petit",
                                                  "Durand", "Lefèvre", "Roux"]), number)
            partner = env["res.partner"].create({
                "name": name, "is_company": True, "customer": True, "company_id": workspace.id,
                "lang": "fr_FR", "email": "client-%d-%d@example.org" % (workspace.id, number)})
            self.legal_kind[partner.id] = self.rng.choice(kinds)
            self.iban[partner.id] = iban_de(workspace.id * 1000 + number)
            if number % 3:
                env["res.partner.bank"].create({"acc_number": self.iban[partner.id],
                                                "partner_id": partner.id, "company_id": workspace.id})
            partners |= partner
        return partners

    def _open(self, env, workspace):
        service = env["webo.sale.service"]._webo_for_company(workspace).sudo()
        if service.state != "open":
            service._webo_open(iban_de(990000 + workspace.id))
        self.journals[workspace.id] = service.payment_journal_id

    def _copy(self, cr, template, clients, count):
        """``count`` open invoices: the template and copies of it."""
        prefix, year, sequence = template.number.split("/")
        amounts = [self.rng.randint(5000, 500000) for _n in range(count - 1)]
        partners = [self.rng.choice(clients).id for _n in range(count - 1)]
        cr.execute("DROP TABLE IF EXISTS bench_copy")
        cr.execute("CREATE TEMP TABLE bench_copy (n integer, invoice_id integer, move_id integer,"
                   " partner_id integer, factor numeric)")
        cr.execute("""
            INSERT INTO bench_copy
            SELECT v.n, nextval('account_invoice_id_seq'), nextval('account_move_id_seq'), v.partner,
                   v.amount / 10000.0
              FROM unnest(%s::int[], %s::int[], %s::int[]) AS v(n, partner, amount)""",
                   [list(range(2, count + 1)), partners, amounts])
        # Numbered after the template (a demo's workspace issued some before).
        number = "'%s/%s/' || lpad((c.n + %d)::text, 4, '0')" % (prefix, year, int(sequence) - 1)
        move, invoice = template.move_id.id, template.id
        self._insert_copies(cr, "account_move", "JOIN account_move t ON t.id = %d" % move, {
            "id": "c.move_id", "name": number, "partner_id": "c.partner_id",
            # Out of the inalterability chain: only the template is in it.
            "l10n_fr_secure_sequence_number": "NULL", "l10n_fr_hash": "NULL"})
        self._insert_copies(cr, "account_invoice", "JOIN account_invoice t ON t.id = %d" % invoice, {
            "id": "c.invoice_id", "move_id": "c.move_id", "number": number, "move_name": number,
            "partner_id": "c.partner_id", "commercial_partner_id": "c.partner_id",
            "access_token": "md5(random()::text || c.n)", "reference": "NULL"})
        self._insert_copies(cr, "account_move_line", "JOIN account_move_line t ON t.move_id = %d" % move, {
            "move_id": "c.move_id", "partner_id": "c.partner_id",
            "invoice_id": "CASE WHEN t.invoice_id IS NULL THEN NULL ELSE c.invoice_id END"})
        self._insert_copies(cr, "account_invoice_line",
                            "JOIN account_invoice_line t ON t.invoice_id = %d" % invoice,
                            {"invoice_id": "c.invoice_id", "partner_id": "c.partner_id"})
        # The template and its copies: not the demo's invoices.
        cr.execute("""SELECT id, number, commercial_partner_id, round(residual * 100)::int
                        FROM account_invoice WHERE company_id = %s AND type = 'out_invoice'
                         AND state = 'open' AND id >= %s""", [template.company_id.id, template.id])
        return cr.fetchall()

    def _statement(self, env, workspace, clients, invoices):
        """The workspace's statement: its lines and what each really pays."""
        per_workspace = LINES // WORKSPACES
        client_of = {client.id: client for client in clients}
        by_client = {}
        for invoice in invoices:
            by_client.setdefault(invoice[2], []).append(invoice)
        pool = invoices[:]
        self.rng.shuffle(pool)
        used, lines, truths, tellable = set(), [], [], []
        for index in range(per_workspace):
            draw = self.rng.random()
            invoice = next(i for i in pool if i[0] not in used)
            used.add(invoice[0])
            client = client_of[invoice[2]]
            pays = {invoice[0]: invoice[3]}
            text = noisy(invoice[1], self.rng)
            if draw < 0.05:
                text = self.rng.choice(["VIR SEPA", "Virement", "Paiement client", "REGLT"])
            elif draw < 0.10:
                pays[invoice[0]] = self.rng.randint(invoice[3] // 5, invoice[3] * 4 // 5)
            elif draw < 0.12:
                other = next((i for i in by_client[invoice[2]] if i[0] not in used), None)
                if other:
                    used.add(other[0])
                    pays[other[0]] = other[3]
                    text = "%s %s %s" % (noisy(invoice[1], self.rng), self.rng.choice(["et", "+", ","]),
                                         noisy(other[1], self.rng))
            payer = (client.name.upper() + " " + self.legal_kind[client.id]).strip()
            known = bool(client.bank_ids)
            lines.append((0, 0, {
                "date": str(self.today), "name": text, "amount": sum(pays.values()) / 100.0,
                "partner_name": payer, "webo_payer_iban": self.iban[client.id],
                "partner_id": client.id if known else False,
                "unique_import_id": "bench-%d-%d" % (workspace.id, index)}))
            truths.append(pays)
            tellable.append(draw >= 0.05 or known)
        statement = env["account.bank.statement"].create({
            "name": "Relevé bench %d" % workspace.id, "journal_id": self.journals[workspace.id].id,
            "date": str(self.today), "line_ids": lines})
        for line, pays, can in zip(statement.line_ids.sorted("id"), truths, tellable, strict=True):
            self.truth[line.id] = pays
            if can:
                self.matchable.add(line.id)
        return statement.id

    # The two sides

    def ours(self, statement_id):
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            statement = env["account.bank.statement"].browse(statement_id)
            lines = statement.line_ids
            lines.mapped("name")
            elapsed = timed("ours", lines._webo_match)
            counts = self._check(cr, statement_id)
            cr.execute("SELECT count(*) FROM webo_bank_match m JOIN account_bank_statement_line l"
                       " ON l.id = m.statement_line_id WHERE l.statement_id = %s AND m.state = 'proposed'",
                       [statement_id])
            counts["proposed"] = cr.fetchone()[0]
            counts["unmatched"] = len(lines) - counts["right"] - counts["wrong"] - counts["proposed"]
            cr.rollback()
        return elapsed, counts

    def odoo_side(self, statement_id):
        # Odoo's widget works in the user's company (not timed): switched
        # and committed, then this side's transaction starts, whose
        # snapshot keeps that company while a parallel process switches it
        # for its own workspace (SWITCH_LOCK: one switch at a time).
        with SWITCH_LOCK, self.odoo.api.Environment.manage():
            with self.registry.cursor() as cr:
                env = self.env(cr)
                company_id = env["account.bank.statement"].browse(statement_id).company_id.id
                env.user.write({"company_ids": [(4, company_id)], "company_id": company_id})
                cr.commit()
            cr = self.registry.cursor()
            assert self.env(cr).user.company_id.id == company_id
        with self.odoo.api.Environment.manage(), cr:
            env = self.env(cr)
            statement = env["account.bank.statement"].browse(statement_id)
            statement.line_ids.mapped("name")

            def reconcile():
                left = statement.reconciliation_widget_preprocess()["st_lines_ids"]
                env["account.bank.statement.line"].browse(left).reconciliation_widget_auto_reconcile(0)

            elapsed = timed("odoo", reconcile)
            counts = self._check(cr, statement_id)
            counts["proposed"] = 0
            counts["unmatched"] = len(statement.line_ids) - counts["right"] - counts["wrong"]
            cr.rollback()
        return elapsed, counts

    def _check(self, cr, statement_id):
        """right / wrong: each reconciled line against what it really pays
        (the invoices its journal entry was reconciled with, and how much)."""
        cr.execute("""
            SELECT stl.id, inv_line.invoice_id, round(SUM(apr.amount) * 100)::int
              FROM account_bank_statement_line stl
              JOIN account_move_line counterpart ON counterpart.statement_line_id = stl.id
              JOIN account_partial_reconcile apr ON apr.credit_move_id = counterpart.id
              JOIN account_move_line inv_line ON inv_line.id = apr.debit_move_id
             WHERE stl.statement_id = %s
             GROUP BY stl.id, inv_line.invoice_id""", [statement_id])
        reconciled = {}
        for line_id, invoice_id, cents in cr.fetchall():
            reconciled.setdefault(line_id, {})[invoice_id] = cents
        right = sum(1 for line_id, pays in reconciled.items() if self.truth[line_id] == pays)
        return {"right": right, "wrong": len(reconciled) - right}


def run_workspace(bench, workspace_id, statement_id):
    """Both sides on one workspace's statement: [(side, seconds, counts)]."""
    results = []
    for side, run in (("ours", bench.ours), ("odoo", bench.odoo_side)):
        elapsed, counts = run(statement_id)
        results.append((side, elapsed, counts))
        print("workspace %d, %s: %.1f s %s" % (workspace_id, side, elapsed, counts))
        sys.stdout.flush()
    return results


def _in_process(item):
    """run_workspace in a forked process (BENCH: the parent's, set up)."""
    return item[0], run_workspace(BENCH, *item)


BENCH = None


def main():
    global BENCH
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    bench = Bench(odoo, database)
    statements = bench.setup()
    total = {"ours": [0.0, {}], "odoo": [0.0, {}]}
    if PARALLEL > 1 and not PROFILE:
        # Forked once set up: each process opens its own connections (and
        # does not print the parent's buffer again).
        sys.stdout.flush()
        odoo.sql_db.close_all()
        BENCH = bench
        with multiprocessing.get_context("fork").Pool(PARALLEL) as pool:
            done = dict(pool.imap_unordered(_in_process, statements.items()))
        by_workspace = [done[workspace_id] for workspace_id in statements]
    else:
        by_workspace = [run_workspace(bench, *item) for item in statements.items()]
    for results in by_workspace:
        for side, elapsed, counts in results:
            total[side][0] += elapsed
            for key, value in counts.items():
                total[side][1][key] = total[side][1].get(key, 0) + value
    for side, profile in PROFILES.items():
        profile.dump_stats("%s.%s.prof" % (PROFILE, side))
    ours_s, ours = total["ours"]
    odoo_s, odoo = total["odoo"]
    lines, matchable = len(bench.truth), len(bench.matchable)
    print("%d lines, %d of them matchable (an invoice number, or a known IBAN)" % (lines, matchable))
    print("ours: %d right (%.1f %% of the matchable lines), %d wrong, %d proposed, %d unmatched in %.1f s"
          % (ours["right"], 100.0 * ours["right"] / matchable, ours["wrong"], ours["proposed"],
             ours["unmatched"], ours_s))
    print("Odoo: %d right (%.1f %% of the matchable lines), %d wrong, %d unmatched in %.1f s"
          % (odoo["right"], 100.0 * odoo["right"] / matchable, odoo["wrong"], odoo["unmatched"], odoo_s))
    # Both sides reconcile through the same process_reconciliation (and the
    # same receipt): the time of one reconciled line.
    ours_per = ours_s / max(ours["right"] + ours["wrong"], 1)
    odoo_per = odoo_s / max(odoo["right"] + odoo["wrong"], 1)
    print("seconds per reconciled line: ours %.3f, Odoo %.3f" % (ours_per, odoo_per))
    print("RESULT right=%d wrong=%d proposed=%d unmatched=%d ours_s=%.1f odoo_s=%.1f odoo_right=%d "
          "odoo_wrong=%d lines=%d matchable=%d ours_per_reconciled_s=%.3f odoo_per_reconciled_s=%.3f"
          % (ours["right"], ours["wrong"], ours["proposed"], ours["unmatched"], ours_s, odoo_s,
             odoo["right"], odoo["wrong"], lines, matchable, ours_per, odoo_per))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
