-- What the assistant keeps about its user ("remember that I train on Tuesdays"): short notes the
-- user sees and removes (GET/DELETE /api/v1/memories), gone with the account (ON DELETE CASCADE).
-- A note outlives the conversation it came from (the source is then forgotten, not the note).
CREATE TABLE memories (
  id                      uuid PRIMARY KEY,
  user_id                 uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  content                 text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 500),
  source_conversation_id  uuid REFERENCES conversations (id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now()
);
-- Listed newest first; the personal context reads the latest.
CREATE INDEX memories_user_idx ON memories (user_id, created_at DESC);

-- Recall over past conversations ("what did I say about my knee last week?"): full-text search of
-- the messages. 'simple' keeps words as said, in whatever language the user speaks (no stemming:
-- queries match word prefixes instead, so knee finds knees).
CREATE INDEX messages_fts_idx ON messages USING gin (to_tsvector('simple', content));

-- The retention purge (PARLEY_CONVERSATION_RETENTION_DAYS) finds conversations by last activity.
CREATE INDEX conversations_updated_idx ON conversations (updated_at);
