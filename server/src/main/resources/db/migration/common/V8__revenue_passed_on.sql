-- ledger/LedgerReadModel: revenue passed on from a seat an EMC holds in another EMC says
-- where it came from (that EMC and its revenue id; NULL for revenue recorded first where it
-- is), and a part says whether it went to a seat held by an EMC (passed on, credited to no ME).
-- The books check counts revenue recorded at the top level once, however deep it was passed on.
ALTER TABLE rendan_revenue ADD COLUMN IF NOT EXISTS passed_from_emc_id VARCHAR(64);
ALTER TABLE rendan_revenue ADD COLUMN IF NOT EXISTS passed_from_revenue_id VARCHAR(64);
ALTER TABLE rendan_revenue_part ADD COLUMN IF NOT EXISTS emc_member BOOLEAN DEFAULT FALSE NOT NULL;
