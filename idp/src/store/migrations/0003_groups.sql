-- Version 3: group memberships (issue 18), and the log every instance follows to learn of a
-- change within a second.

CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (user_id, group_name)
);
CREATE INDEX memberships_group ON memberships (group_name);

CREATE TABLE membership_log (
    seq BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL
);
