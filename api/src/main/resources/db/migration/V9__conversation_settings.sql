-- A conversation continued later (/v1/realtime?conversation=<id>) keeps how it was held: its
-- personality (already stored) and the client's own instructions, appended under the ground rules
-- (null: none). Both are updated when a session.update changes them.
ALTER TABLE conversations ADD COLUMN instructions text;
