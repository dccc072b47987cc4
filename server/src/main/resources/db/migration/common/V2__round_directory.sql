-- bidding/RoundDirectory: the directory of rounds, written by its projection.
-- IF NOT EXISTS: a database from before migrations (baselined at 0) already has it.
CREATE TABLE IF NOT EXISTS rendan_round_directory (
  round_id VARCHAR(64) PRIMARY KEY, emc_id VARCHAR(64) NOT NULL, capability VARCHAR(64) NOT NULL,
  side VARCHAR(16) NOT NULL, mode VARCHAR(8) NOT NULL, max_share_bps INT NOT NULL,
  status VARCHAR(16) NOT NULL, closes_at BIGINT NOT NULL, best_ask_bps INT, bid_count INT NOT NULL,
  posted_at BIGINT NOT NULL, version BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS rendan_round_directory_listing ON rendan_round_directory (status, capability, closes_at, round_id);
