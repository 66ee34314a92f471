-- Sign-in throttling per client address as well as per account name (service/accounts.rs): each
-- failure records the client it came from (an IPv4 address, or an IPv6 /64; '' when the caller
-- had no network peer). Failures older than the throttle's window are deleted as new ones arrive,
-- oldest first, through the index on `at`.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_by_client ON login_failures (client, at);
CREATE INDEX login_failures_by_time ON login_failures (at);
