-- ledger/LedgerReadModel: ledger lines, revenue, its parts and period results, written by
-- the ledger projections.
-- IF NOT EXISTS: a database from before migrations (baselined at 0) already has them.
CREATE TABLE IF NOT EXISTS rendan_ledger (me_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL,
  emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL, amount_minor BIGINT NOT NULL,
  currency VARCHAR(3) NOT NULL, source VARCHAR(200) NOT NULL, earned_at BIGINT NOT NULL,
  period VARCHAR(7) NOT NULL, share_bps INT NOT NULL, contract_version INT NOT NULL, owner BOOLEAN NOT NULL,
  recorded_at BIGINT NOT NULL, PRIMARY KEY (me_id, seq));
CREATE INDEX IF NOT EXISTS rendan_ledger_period ON rendan_ledger (me_id, period);
CREATE TABLE IF NOT EXISTS rendan_revenue (emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL,
  amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, source VARCHAR(200) NOT NULL,
  earned_at BIGINT NOT NULL, period VARCHAR(7) NOT NULL, units BIGINT NOT NULL, refund_of VARCHAR(64),
  recorded_at BIGINT NOT NULL, PRIMARY KEY (emc_id, revenue_id));
CREATE INDEX IF NOT EXISTS rendan_revenue_period ON rendan_revenue (emc_id, period);
CREATE TABLE IF NOT EXISTS rendan_revenue_part (emc_id VARCHAR(64) NOT NULL, revenue_id VARCHAR(64) NOT NULL,
  me_id VARCHAR(64) NOT NULL, amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL,
  period VARCHAR(7) NOT NULL, share_bps INT NOT NULL, contract_version INT NOT NULL, owner BOOLEAN NOT NULL,
  PRIMARY KEY (emc_id, revenue_id, me_id));
CREATE INDEX IF NOT EXISTS rendan_revenue_part_period ON rendan_revenue_part (emc_id, period);
CREATE TABLE IF NOT EXISTS rendan_period_result (emc_id VARCHAR(64) NOT NULL, period VARCHAR(7) NOT NULL,
  me_id VARCHAR(64) NOT NULL, metric VARCHAR(16) NOT NULL, target BIGINT NOT NULL, achieved BIGINT NOT NULL,
  met BOOLEAN NOT NULL, missed_in_row INT NOT NULL, at_risk BOOLEAN NOT NULL, contract_version INT NOT NULL,
  PRIMARY KEY (emc_id, period, me_id));
