-- Appointments whose booked time passed without a call leave the live states: 'expired' (the expert
-- never answered the request) and 'missed' (accepted, but neither party started the call). A free
-- booking that lapsed this way does not count against the user's free quota: they got nothing.
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('requested', 'accepted', 'declined', 'cancelled', 'completed', 'expired', 'missed'));
-- The lapse sweep looks for live appointments by their end.
CREATE INDEX appointments_live_ends_idx ON appointments (ends_at) WHERE status IN ('requested', 'accepted');
