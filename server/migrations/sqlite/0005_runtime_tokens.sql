-- Runtime identities: the service tokens agent runtimes present on /v1/decisions
-- (`Authorization: Bearer ...`). Only the SHA-256 of a token is stored; the secret is shown once.
-- Audit entries vouch for each row (by id, `token_id`), so a token inserted, re-scoped or
-- un-revoked in the database fails `cavra audit verify`.
CREATE TABLE runtime_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The runtime's name (`ci-runner-eu`), recorded with every decision it makes.
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    -- 1: every pack; 0: the packs listed in packs_json.
    all_packs  BIGINT  NOT NULL,
    packs_json TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
-- One active token per name, so a name stands for one runtime; a revoked name may be reissued.
CREATE UNIQUE INDEX runtime_tokens_active_name ON runtime_tokens (name) WHERE revoked_at IS NULL;

-- The runtime that made each decision and observation; '' for rows written before tokens were
-- required (shown, never counted by the shadow gate).
ALTER TABLE decision_log ADD COLUMN runtime TEXT NOT NULL DEFAULT '';
ALTER TABLE observations ADD COLUMN runtime TEXT NOT NULL DEFAULT '';

-- The pack's shadow rule as JSON ({"min_observations", "min_runtimes", "min_observed_secs"});
-- NULL means the server's defaults.
ALTER TABLE packs ADD COLUMN shadow_rule_json TEXT;
