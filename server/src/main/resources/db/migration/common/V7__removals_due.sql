-- emc/RemovalWaker: the removals with notice not yet in effect (one row per EMC and member),
-- written by the emc-removals-due projection, so that the removal waker can poke the EMCs
-- whose removal fell due while they were not in memory. effective_at: business time, epoch ms.
CREATE TABLE IF NOT EXISTS rendan_removal_due (emc_id VARCHAR(64) NOT NULL, me_id VARCHAR(64) NOT NULL,
  effective_at BIGINT NOT NULL, PRIMARY KEY (emc_id, me_id));
CREATE INDEX IF NOT EXISTS rendan_removal_due_at ON rendan_removal_due (effective_at);
