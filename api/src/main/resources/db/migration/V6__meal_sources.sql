-- Meals logged from a text ("two eggs and a slice of toast") or a list of foods, not only from a
-- photo; items may be corrected after logging. Existing meals all came from photos.
ALTER TABLE meals ADD COLUMN source text NOT NULL DEFAULT 'photo'
  CHECK (source IN ('photo', 'text', 'items'));
ALTER TABLE meals ADD COLUMN description text;
ALTER TABLE meals ADD COLUMN updated_at timestamptz;
