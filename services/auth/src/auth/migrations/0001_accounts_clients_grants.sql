-- Users, OAuth clients, authorization codes, refresh-token families and login attempts.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username = lower(username)),
    email         text NOT NULL,
    password_hash text NOT NULL,
    roles         text[] NOT NULL CHECK (cardinality(roles) > 0),
    created_at    timestamptz NOT NULL
);

CREATE TABLE oauth_clients (
    client_id     text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('public', 'confidential')),
    -- A public client cannot keep a secret; a confidential one must have one.
    secret_hash   text CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL)),
    redirect_uris text[] NOT NULL,
    grant_types   text[] NOT NULL,
    scopes        text[] NOT NULL,
    roles         text[] NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Codes and refresh tokens are stored as SHA-256 fingerprints, never in clear.
CREATE TABLE authorization_codes (
    code_hash             text PRIMARY KEY,
    client_id             text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    user_id               uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    redirect_uri          text NOT NULL,
    scope                 text NOT NULL,
    code_challenge        text NOT NULL,
    code_challenge_method text NOT NULL CHECK (code_challenge_method = 'S256'),
    issued_at             timestamptz NOT NULL,
    expires_at            timestamptz NOT NULL,
    consumed_at           timestamptz
);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);

CREATE TABLE refresh_families (
    id         uuid PRIMARY KEY,
    client_id  text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    -- The code the family was born from: replaying that code revokes the family.
    code_hash  text,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX refresh_families_code ON refresh_families (code_hash) WHERE code_hash IS NOT NULL;

CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    family_id  uuid NOT NULL REFERENCES refresh_families ON DELETE CASCADE,
    scope      text NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- Unconfirmed login attempts (counted before the password check, cleared on success).
CREATE TABLE login_attempts (
    id           bigserial PRIMARY KEY,
    username     text NOT NULL,
    address      text NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (username, address, attempted_at);
CREATE INDEX login_attempts_age ON login_attempts (attempted_at);
