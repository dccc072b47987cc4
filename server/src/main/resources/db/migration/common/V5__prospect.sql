-- prospect/ProspectReadModel: closed periods per EMC and month, and each member's record per
-- EMC, written by the emc-prospectus projection.
-- IF NOT EXISTS: a database that ran a node of the prospectus's first build already has them.
CREATE TABLE IF NOT EXISTS rendan_prospect_period (emc_id VARCHAR(64) NOT NULL, period VARCHAR(7) NOT NULL,
  currency VARCHAR(3), revenue_minor BIGINT NOT NULL, revenue_count INT NOT NULL,
  owner_minor BIGINT NOT NULL, closed BOOLEAN NOT NULL, evaluated INT NOT NULL, met INT NOT NULL,
  last_seq BIGINT NOT NULL, PRIMARY KEY (emc_id, period));
CREATE TABLE IF NOT EXISTS rendan_prospect_record (me_id VARCHAR(64) NOT NULL, emc_id VARCHAR(64) NOT NULL,
  periods_met INT NOT NULL, periods_missed INT NOT NULL, last_seq BIGINT NOT NULL,
  PRIMARY KEY (me_id, emc_id));
