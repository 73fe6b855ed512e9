-- API users: an argon2id password hash per user and the role that bounds what the user may do.
CREATE TABLE api_users (
    username text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role text NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
