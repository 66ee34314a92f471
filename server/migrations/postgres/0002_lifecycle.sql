-- The governed lifecycle: accounts, packs, drafts, immutable versions, approvals, enforcement
-- history, shadow runs, decision log and observations, the hash-chained audit log and evidence.
-- Times are BIGINT unix milliseconds (UTC). Booleans are 0/1 integers (same on both engines).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('author', 'approver', 'admin')),
    groups_json   TEXT    NOT NULL DEFAULT '[]',
    created_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY NOT NULL,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);

CREATE TABLE login_failures (
    id       BIGSERIAL PRIMARY KEY,
    username TEXT    NOT NULL,
    at       BIGINT  NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username, at);

CREATE TABLE packs (
    id                   TEXT   PRIMARY KEY NOT NULL,
    title                TEXT   NOT NULL,
    approver_groups_json TEXT   NOT NULL,
    cases_yaml           TEXT,
    enforced_digest      TEXT,
    enforced_seq         BIGINT NOT NULL DEFAULT 0,
    enforced_at          BIGINT,
    created_at           BIGINT NOT NULL
);

-- INVARIANT: a version's content never changes; it is keyed by its digest.
CREATE TABLE versions (
    pack_id         TEXT    NOT NULL REFERENCES packs (id),
    digest          TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    policy_json     TEXT    NOT NULL,
    author_id       BIGINT  REFERENCES users (id),
    author_name     TEXT    NOT NULL,
    lint_report     TEXT    NOT NULL,
    lint_blockers   BIGINT  NOT NULL,
    lint_warnings   BIGINT  NOT NULL,
    dry_run_report  TEXT    NOT NULL,
    dry_run_passed  BIGINT  NOT NULL,
    semantic_diff   TEXT    NOT NULL,
    diff_against    TEXT,
    decision_impact TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (pack_id, digest)
);
CREATE FUNCTION cavra_versions_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'policy versions are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER versions_immutable BEFORE UPDATE OR DELETE ON versions
FOR EACH ROW EXECUTE FUNCTION cavra_versions_immutable();

CREATE TABLE drafts (
    id          BIGSERIAL PRIMARY KEY,
    pack_id     TEXT    NOT NULL REFERENCES packs (id),
    source      TEXT    NOT NULL,
    revision    BIGINT  NOT NULL,
    base_digest TEXT,
    created_by  BIGINT  NOT NULL REFERENCES users (id),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE approval_requests (
    id           BIGSERIAL PRIMARY KEY,
    pack_id      TEXT    NOT NULL REFERENCES packs (id),
    digest       TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('promotion', 'rollback')),
    groups_json  TEXT    NOT NULL,
    requested_by BIGINT  NOT NULL REFERENCES users (id),
    created_at   BIGINT  NOT NULL
);

CREATE TABLE signoffs (
    id             BIGSERIAL PRIMARY KEY,
    request_id     BIGINT  NOT NULL REFERENCES approval_requests (id),
    pack_id        TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    user_id        BIGINT  NOT NULL REFERENCES users (id),
    approver_group TEXT    NOT NULL,
    decision       TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment        TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    -- Each group needs a distinct approver: one person signs a request once.
    UNIQUE (request_id, user_id)
);

CREATE TABLE enforcement_history (
    id         BIGSERIAL PRIMARY KEY,
    pack_id    TEXT    NOT NULL REFERENCES packs (id),
    seq        BIGINT  NOT NULL,
    digest     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    actor_name TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    UNIQUE (pack_id, seq)
);

CREATE TABLE shadow_runs (
    id               BIGSERIAL PRIMARY KEY,
    pack_id          TEXT    NOT NULL REFERENCES packs (id),
    candidate_digest TEXT    NOT NULL,
    enforced_digest  TEXT    NOT NULL,
    started_by       TEXT    NOT NULL,
    started_at       BIGINT  NOT NULL,
    stopped_at       BIGINT
);
-- At most one active shadow run per pack, across every replica.
CREATE UNIQUE INDEX shadow_runs_one_active ON shadow_runs (pack_id) WHERE stopped_at IS NULL;

CREATE TABLE decision_log (
    id            BIGSERIAL PRIMARY KEY,
    pack_id       TEXT    NOT NULL,
    policy_digest TEXT    NOT NULL,
    input_json    TEXT    NOT NULL,
    decision      TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    severity      TEXT    NOT NULL,
    at            BIGINT  NOT NULL
);

CREATE TABLE observations (
    id                 BIGSERIAL PRIMARY KEY,
    shadow_id          BIGINT  NOT NULL REFERENCES shadow_runs (id),
    decision_id        BIGINT  NOT NULL REFERENCES decision_log (id),
    pack_id            TEXT    NOT NULL,
    enforced_digest    TEXT    NOT NULL,
    candidate_digest   TEXT    NOT NULL,
    enforced_decision  TEXT    NOT NULL,
    enforced_rule_id   TEXT    NOT NULL,
    candidate_decision TEXT    NOT NULL,
    candidate_rule_id  TEXT    NOT NULL,
    diverged           BIGINT  NOT NULL,
    flip_kind          TEXT    NOT NULL,
    acknowledged_by    TEXT,
    at                 BIGINT  NOT NULL
);
CREATE INDEX observations_by_shadow ON observations (shadow_id, diverged);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    pack_id     TEXT   NOT NULL,
    digest      TEXT   NOT NULL,
    detail_json TEXT   NOT NULL,
    prev_hash   TEXT   NOT NULL UNIQUE,
    hash        TEXT   NOT NULL
);

CREATE TABLE evidence_packets (
    id          BIGSERIAL PRIMARY KEY,
    pack_id     TEXT    NOT NULL,
    digest      TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    packet_json TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- One row: lifecycle writers update it first, which serialises them on both engines, and it
-- anchors the audit chain's head so that deleting the newest entries is detected too.
CREATE TABLE lifecycle_lock (
    id        BIGINT  PRIMARY KEY NOT NULL,
    audit_seq BIGINT  NOT NULL,
    audit_head TEXT   NOT NULL
);
INSERT INTO lifecycle_lock (id, audit_seq, audit_head)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
