-- The Synthèse's running totals, kept by PostgreSQL triggers on every
-- change of a customer invoice or a client payment, so that reading them
-- costs the same for 50 invoices or 50,000: per workspace, invoices by type,
-- state, credited or not, month of issue and (open ones) due date; client
-- payments by month. Each change subtracts the row's old contribution and
-- adds its new one, in the same transaction (a rollback undoes both).
-- NULLS NOT DISTINCT (PostgreSQL 15) lets NULL months and due dates share
-- one row per key.
--
-- Run by webo.sale.service's init() at each install and upgrade of
-- webo_sale: every statement can run again on a database that has them.
CREATE TABLE IF NOT EXISTS webo_sale_synthesis_invoice (
    company_id integer NOT NULL,
    type varchar NOT NULL,
    state varchar NOT NULL,
    credited boolean NOT NULL,
    month date,
    date_due date,
    invoice_count bigint NOT NULL DEFAULT 0,
    amount_total numeric NOT NULL DEFAULT 0,
    residual numeric NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS webo_sale_synthesis_invoice_key
    ON webo_sale_synthesis_invoice (company_id, type, state, credited, month, date_due)
    NULLS NOT DISTINCT;
CREATE TABLE IF NOT EXISTS webo_sale_synthesis_payment (
    company_id integer NOT NULL,
    month date NOT NULL,
    amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, month)
);

-- One invoice's contribution added (sign_ 1) or taken back (sign_ -1).
CREATE OR REPLACE FUNCTION webo_sale_synthesis_invoice_add(row_ account_invoice, sign_ integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF row_.company_id IS NULL OR row_.type NOT IN ('out_invoice', 'out_refund')
            OR row_.state NOT IN ('open', 'paid') THEN
        RETURN;
    END IF;
    INSERT INTO webo_sale_synthesis_invoice AS total
    VALUES (row_.company_id, row_.type, row_.state, row_.webo_credit_note_id IS NOT NULL,
            date_trunc('month', row_.date_invoice)::date,
            CASE WHEN row_.state = 'open' THEN row_.date_due END,
            sign_, sign_ * COALESCE(row_.amount_total_company_signed, 0),
            sign_ * COALESCE(row_.residual_company_signed, 0))
    ON CONFLICT (company_id, type, state, credited, month, date_due) DO UPDATE
       SET invoice_count = total.invoice_count + EXCLUDED.invoice_count,
           amount_total = total.amount_total + EXCLUDED.amount_total,
           residual = total.residual + EXCLUDED.residual;
END $$;

CREATE OR REPLACE FUNCTION webo_sale_synthesis_invoice_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.company_id, OLD.type, OLD.state, OLD.webo_credit_note_id IS NULL,
            OLD.date_invoice, OLD.date_due, OLD.amount_total_company_signed, OLD.residual_company_signed)
            IS NOT DISTINCT FROM
            (NEW.company_id, NEW.type, NEW.state, NEW.webo_credit_note_id IS NULL,
             NEW.date_invoice, NEW.date_due, NEW.amount_total_company_signed,
             NEW.residual_company_signed) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM webo_sale_synthesis_invoice_add(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM webo_sale_synthesis_invoice_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

-- One payment's contribution added (sign_ 1) or taken back (sign_ -1):
-- what clients paid, less what was given back to them (refunds).
CREATE OR REPLACE FUNCTION webo_sale_synthesis_payment_add(row_ account_payment, sign_ integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF row_.company_id IS NULL OR row_.payment_type NOT IN ('inbound', 'outbound')
            OR row_.partner_type <> 'customer'
            OR row_.state NOT IN ('posted', 'sent', 'reconciled') OR row_.payment_date IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO webo_sale_synthesis_payment AS total
    VALUES (row_.company_id, date_trunc('month', row_.payment_date)::date,
            sign_ * CASE WHEN row_.payment_type = 'outbound' THEN -row_.amount ELSE row_.amount END)
    ON CONFLICT (company_id, month) DO UPDATE SET amount = total.amount + EXCLUDED.amount;
END $$;

CREATE OR REPLACE FUNCTION webo_sale_synthesis_payment_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.company_id, OLD.payment_type, OLD.partner_type, OLD.state,
            OLD.payment_date, OLD.amount) IS NOT DISTINCT FROM
            (NEW.company_id, NEW.payment_type, NEW.partner_type, NEW.state, NEW.payment_date, NEW.amount) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM webo_sale_synthesis_payment_add(OLD, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM webo_sale_synthesis_payment_add(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS webo_sale_synthesis_invoice_track ON account_invoice;
CREATE TRIGGER webo_sale_synthesis_invoice_track
    AFTER INSERT OR DELETE OR UPDATE OF company_id, type, state, webo_credit_note_id, date_invoice, date_due,
        amount_total_company_signed, residual_company_signed
    ON account_invoice FOR EACH ROW EXECUTE FUNCTION webo_sale_synthesis_invoice_track();
DROP TRIGGER IF EXISTS webo_sale_synthesis_payment_track ON account_payment;
CREATE TRIGGER webo_sale_synthesis_payment_track
    AFTER INSERT OR DELETE OR UPDATE OF company_id, payment_type, partner_type, state, payment_date, amount
    ON account_payment FOR EACH ROW EXECUTE FUNCTION webo_sale_synthesis_payment_track();

-- The totals rebuilt from the invoices and payments as they are now.
TRUNCATE webo_sale_synthesis_invoice, webo_sale_synthesis_payment;
INSERT INTO webo_sale_synthesis_invoice
SELECT company_id, type, state, webo_credit_note_id IS NOT NULL, date_trunc('month', date_invoice)::date,
       CASE WHEN state = 'open' THEN date_due END, COUNT(*),
       SUM(COALESCE(amount_total_company_signed, 0)), SUM(COALESCE(residual_company_signed, 0))
  FROM account_invoice
 WHERE company_id IS NOT NULL AND type IN ('out_invoice', 'out_refund') AND state IN ('open', 'paid')
 GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO webo_sale_synthesis_payment
SELECT company_id, date_trunc('month', payment_date)::date,
       SUM(CASE WHEN payment_type = 'outbound' THEN -amount ELSE amount END)
  FROM account_payment
 WHERE company_id IS NOT NULL AND payment_type IN ('inbound', 'outbound') AND partner_type = 'customer'
   AND state IN ('posted', 'sent', 'reconciled') AND payment_date IS NOT NULL
 GROUP BY 1, 2;
