-- Failed logins, counted in the database so that every instance shares them. Rows are pruned once
-- their window or lockout is long over (loginAttemptRepository.prune).

-- Per client address (an IPv4 address, or an IPv6 /64): failures within a fixed window.
CREATE TABLE login_address_failures (
  address text PRIMARY KEY,
  failures integer NOT NULL,
  window_start timestamptz NOT NULL
);
CREATE INDEX login_address_failures_window ON login_address_failures (window_start);

-- Per account, whatever the address: failures since the last success, and the lockout they earned.
-- Keyed by a hash of the normalised email, known or not: attempted emails (a password typed into
-- the email field) are not kept in the clear.
CREATE TABLE login_account_failures (
  email_hash text PRIMARY KEY,
  failures integer NOT NULL,
  last_failure_at timestamptz NOT NULL,
  locked_until timestamptz
);
CREATE INDEX login_account_failures_last ON login_account_failures (last_failure_at);
