-- Meal photos kept at the user's request live in the row itself, so that deleting a meal or an
-- account (ON DELETE CASCADE) deletes its photo too; image_expires_at bounds how long.
ALTER TABLE meals ADD COLUMN image bytea;
ALTER TABLE meals ADD COLUMN image_type text;
ALTER TABLE meals ADD COLUMN model text;
CREATE INDEX meals_image_expiry_idx ON meals (image_expires_at) WHERE image IS NOT NULL;
