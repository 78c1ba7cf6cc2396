-- Tool calls and their results are part of a conversation: an assistant message may carry the
-- calls the model made (tool_calls: [{id, name, arguments}]), and a 'tool' message is the result
-- of one call (tool_call_id).
ALTER TABLE messages DROP CONSTRAINT messages_role_check;
ALTER TABLE messages ADD CONSTRAINT messages_role_check CHECK (role IN ('system', 'user', 'assistant', 'tool'));
ALTER TABLE messages ADD COLUMN tool_calls jsonb;
ALTER TABLE messages ADD COLUMN tool_call_id text;
ALTER TABLE messages ADD CONSTRAINT messages_tool_call_id_check CHECK ((role = 'tool') = (tool_call_id IS NOT NULL));
