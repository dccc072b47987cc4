-- emc/PassOnParking: revenue of a seat held by an EMC that the member EMC refused to record
-- (its period closed, another currency, dissolved, ...). RevenuePassOn parks it here before it
-- moves on, so it is never dropped; the pass-on retrier tries it again with backoff
-- (next_attempt_at, epoch ms) and deletes the row once the member EMC has recorded it; the books
-- check lists what is still parked. inner_revenue_id: the id it gets in the member EMC
-- (RevenuePassOn.passedOnId); earned_at: epoch ms, NULL when the outer revenue had none.
CREATE TABLE IF NOT EXISTS rendan_pass_on_parked (inner_revenue_id VARCHAR(64) NOT NULL PRIMARY KEY,
  seat_emc_id VARCHAR(64) NOT NULL, from_emc_id VARCHAR(64) NOT NULL, from_revenue_id VARCHAR(64) NOT NULL,
  amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, source VARCHAR(200) NOT NULL, earned_at BIGINT,
  units BIGINT NOT NULL, refund_of VARCHAR(64), refusal VARCHAR(64) NOT NULL, attempts INT NOT NULL,
  parked_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS rendan_pass_on_parked_due ON rendan_pass_on_parked (next_attempt_at);
