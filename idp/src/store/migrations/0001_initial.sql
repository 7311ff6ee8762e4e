-- Gerbang's store on PostgreSQL, version 1. Records are JSON text (the same serde forms the
-- sled backend keeps); what the database must enforce or search is in columns of its own.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL
);

-- User name, e-mail, NIK, passport number + country: one account each, enforced here.
CREATE TABLE unique_keys (
    key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX unique_keys_user ON unique_keys (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE one_time (
    kind TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    value BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key_hash)
);
CREATE INDEX one_time_expiry ON one_time (expires_at);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (not_before);

CREATE TABLE audit (
    seq BIGSERIAL PRIMARY KEY,
    record TEXT NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    record TEXT NOT NULL
);

CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);

CREATE TABLE revoked (
    subject TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);

CREATE TABLE revocation_log (
    seq BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    until BIGINT NOT NULL
);
