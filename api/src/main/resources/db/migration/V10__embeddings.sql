-- Optional vectors from an OpenAI-compatible embeddings server (PARLEY_EMBEDDINGS_BASE_URL): a
-- memory's and a message's meaning, for ranking the personal context's memories and recall's
-- messages by cosine similarity to the question. NULL when no server is configured, when it failed
-- while the row was written, and for rows written before (they are ranked by their words).
-- Compared in the node (a few hundred of one user's rows at a time), so no vector extension.
ALTER TABLE memories ADD COLUMN embedding real[];
ALTER TABLE messages ADD COLUMN embedding real[];
