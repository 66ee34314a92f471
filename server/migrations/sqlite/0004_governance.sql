-- Governance: the approval rule is the server's (never the request's), approvals are consumed by
-- the enforcement they were for, rejections stay until withdrawn, and everyone who touched a
-- digest's text is recorded so that nobody signs off their own change.

-- The pack's approval rule as JSON ({"promotion": [{"group", "quorum"}], "rollback": [...],
-- "ttl_hours": n}); NULL means the defaults (the pack's approver groups at quorum 1, Platform
-- Security for rollback, 168 hours).
ALTER TABLE packs ADD COLUMN approval_rule_json TEXT;

-- A request is consumed by the promotion or rollback it was for, or when the enforcement moves
-- away from its digest; its sign-offs no longer count after that.
ALTER TABLE approval_requests ADD COLUMN consumed_at BIGINT;
ALTER TABLE approval_requests ADD COLUMN consumed_by TEXT;

-- One person may sign a request again after withdrawing their sign-off (e.g. a rejection
-- resolved in review): uniqueness now covers standing sign-offs only, checked by the service
-- under the lifecycle lock. SQLite cannot drop a constraint, so the table is rebuilt.
CREATE TABLE signoffs_v2 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id     INTEGER NOT NULL REFERENCES approval_requests (id),
    pack_id        TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    approver_group TEXT    NOT NULL,
    decision       TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment        TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);
INSERT INTO signoffs_v2 (id, request_id, pack_id, digest, user_id, approver_group, decision, comment, created_at)
SELECT id, request_id, pack_id, digest, user_id, approver_group, decision, comment, created_at FROM signoffs;
DROP TABLE signoffs;
ALTER TABLE signoffs_v2 RENAME TO signoffs;
CREATE INDEX signoffs_by_request ON signoffs (request_id, user_id);
CREATE INDEX signoffs_by_digest ON signoffs (pack_id, digest);

CREATE TABLE signoff_withdrawals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    signoff_id INTEGER NOT NULL UNIQUE REFERENCES signoffs (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    comment    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- Everyone who created, saved or published a revision of a draft. Rows are only ever added;
-- audit entries vouch for them (by id), so deleting one to slip past separation of duties
-- fails `cavra audit verify`.
CREATE TABLE draft_contributors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id   INTEGER NOT NULL REFERENCES drafts (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    first_at   BIGINT  NOT NULL,
    UNIQUE (draft_id, user_id)
);
INSERT INTO draft_contributors (draft_id, user_id, first_at)
SELECT id, created_by, created_at FROM drafts;

-- Everyone who contributed to a digest's text through any draft that published it.
CREATE TABLE version_contributors (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    pack_id  TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    user_id  INTEGER NOT NULL REFERENCES users (id),
    first_at BIGINT  NOT NULL,
    UNIQUE (pack_id, digest, user_id)
);
INSERT INTO version_contributors (pack_id, digest, user_id, first_at)
SELECT pack_id, digest, author_id, created_at FROM versions WHERE author_id IS NOT NULL;

-- Break-glass promotions and rollbacks skip the approval check; each is recorded here with its
-- reason (and in the audit log and the packet).
CREATE TABLE break_glass (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pack_id    TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    reason     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
