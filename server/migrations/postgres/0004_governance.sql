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
-- under the lifecycle lock.
ALTER TABLE signoffs DROP CONSTRAINT IF EXISTS signoffs_request_id_user_id_key;
CREATE INDEX signoffs_by_request ON signoffs (request_id, user_id);
CREATE INDEX signoffs_by_digest ON signoffs (pack_id, digest);

CREATE TABLE signoff_withdrawals (
    id         BIGSERIAL PRIMARY KEY,
    signoff_id BIGINT  NOT NULL UNIQUE REFERENCES signoffs (id),
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    comment    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

-- Everyone who created, saved or published a revision of a draft. Rows are only ever added;
-- audit entries vouch for them (by id), so deleting one to slip past separation of duties
-- fails `cavra audit verify`.
CREATE TABLE draft_contributors (
    id         BIGSERIAL PRIMARY KEY,
    draft_id   BIGINT  NOT NULL REFERENCES drafts (id),
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    first_at   BIGINT  NOT NULL,
    UNIQUE (draft_id, user_id)
);
INSERT INTO draft_contributors (draft_id, user_id, first_at)
SELECT id, created_by, created_at FROM drafts;

-- Everyone who contributed to a digest's text through any draft that published it.
CREATE TABLE version_contributors (
    id       BIGSERIAL PRIMARY KEY,
    pack_id  TEXT    NOT NULL,
    digest   TEXT    NOT NULL,
    user_id  BIGINT  NOT NULL REFERENCES users (id),
    first_at BIGINT  NOT NULL,
    UNIQUE (pack_id, digest, user_id)
);
INSERT INTO version_contributors (pack_id, digest, user_id, first_at)
SELECT pack_id, digest, author_id, created_at FROM versions WHERE author_id IS NOT NULL;

-- Break-glass promotions and rollbacks skip the approval check; each is recorded here with its
-- reason (and in the audit log and the packet).
CREATE TABLE break_glass (
    id         BIGSERIAL PRIMARY KEY,
    pack_id    TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    reason     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
