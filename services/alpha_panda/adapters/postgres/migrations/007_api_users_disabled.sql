-- A disabled API user can neither log in nor use a token issued before it was disabled.
ALTER TABLE api_users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
