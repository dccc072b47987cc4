-- painpoint/FaultPainPoints: the fault reports of each appliance within the fault rule's
-- window, written by the painpoint-faults projection (one row per device seq, so a
-- report delivered again is not counted twice).
CREATE TABLE IF NOT EXISTS rendan_fault_report (appliance_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL,
  code VARCHAR(32) NOT NULL, reported_at BIGINT NOT NULL, PRIMARY KEY (appliance_id, seq));
CREATE INDEX IF NOT EXISTS rendan_fault_report_window ON rendan_fault_report (appliance_id, code, reported_at);
-- prospect/HelpGivenReadModel: each ME's help given (pledges delivered, help cases recovered
-- with its help), written by the me-help-given projection, for the owner's view of a round.
CREATE TABLE IF NOT EXISTS rendan_prospect_help (me_id VARCHAR(64) PRIMARY KEY, delivered_given BIGINT NOT NULL,
  recoveries_helped BIGINT NOT NULL, last_seq BIGINT NOT NULL);
