-- Expert calls: booking conflicts enforced by the database, one call per appointment, call summaries.

-- Double booking: no two live appointments (requested or accepted) of one expert may overlap in time.
-- An exclusion constraint makes the check race-free across nodes; the API maps its violation to 409.
CREATE EXTENSION IF NOT EXISTS btree_gist;
-- (timestamptz + interval is not immutable, so the slot's end is a stored column the API writes.)
ALTER TABLE appointments ADD COLUMN ends_at timestamptz;
UPDATE appointments SET ends_at = scheduled_at + make_interval(mins => duration_minutes);
ALTER TABLE appointments
  ALTER COLUMN ends_at SET NOT NULL,
  ADD CONSTRAINT appointments_ends_after_start CHECK (ends_at > scheduled_at),
  ADD CONSTRAINT appointments_expert_no_overlap
  EXCLUDE USING gist (expert_id WITH =, tstzrange(scheduled_at, ends_at, '[)') WITH &&)
  WHERE (status IN ('requested', 'accepted'));

-- One call per appointment: a call that ended (limit, hangup, disconnect) is not started again, so the
-- booked time cannot be stretched by restarting. A dropped connection resumes the same call instead.
CREATE UNIQUE INDEX call_sessions_one_per_appointment ON call_sessions (appointment_id);
ALTER TABLE call_sessions
  ADD COLUMN started_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN ended_by uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN limit_seconds integer CHECK (limit_seconds > 0),
  ADD CONSTRAINT call_sessions_end_reason CHECK
    (end_reason IS NULL OR end_reason IN ('hangup', 'time_limit', 'disconnected', 'cancelled', 'deleted'));

-- Restarted nodes re-apply TURN revocations of calls ended before their credentials expire.
CREATE INDEX call_sessions_ends_idx ON call_sessions (ends_at);
