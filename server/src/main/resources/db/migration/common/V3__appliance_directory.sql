-- appliance/ApplianceDirectory: an EMC's appliances, written by its projection.
-- IF NOT EXISTS: a database from before migrations (baselined at 0) already has it.
CREATE TABLE IF NOT EXISTS rendan_appliance_directory (
  appliance_id VARCHAR(64) PRIMARY KEY, emc_id VARCHAR(64) NOT NULL, type VARCHAR(16) NOT NULL,
  model VARCHAR(800) NOT NULL, location VARCHAR(800) NOT NULL, tariff_minor BIGINT NOT NULL,
  currency VARCHAR(3) NOT NULL, provisioned_at_seconds BIGINT NOT NULL, provisioned_at_nanos INT NOT NULL);
CREATE INDEX IF NOT EXISTS rendan_appliance_directory_by_emc ON rendan_appliance_directory (emc_id, appliance_id);
