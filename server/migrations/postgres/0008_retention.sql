-- Retention: old decision-log rows and their shadow observations are pruned in batches
-- (server/src/service/retention.rs); the shadow gate's counts must not shrink when they are.

-- Pruning finds a decision's observation by decision_id, and every deleted decision has its
-- foreign key checked against observations: without this index each of those is a table scan.
CREATE INDEX observations_by_decision ON observations (decision_id);

-- What pruning removed from each shadow run, per runtime ('' for observations made before
-- tokens were required). Written in the same transaction that deletes the observations, so a
-- run's live observations plus these tallies never change under a prune: the gate reads both.
CREATE TABLE shadow_pruned (
    shadow_id    BIGINT  NOT NULL REFERENCES shadow_runs (id),
    runtime      TEXT    NOT NULL,
    observations BIGINT  NOT NULL,
    divergences  BIGINT  NOT NULL,
    first_at     BIGINT  NOT NULL,
    last_at      BIGINT  NOT NULL,
    PRIMARY KEY (shadow_id, runtime)
);

-- Pruned authenticated divergences of a run by flip kind and rule change (the summary's
-- by_flip and by_rule). Unacknowledged divergences are never pruned; these are acknowledged ones.
CREATE TABLE shadow_pruned_flips (
    shadow_id         BIGINT  NOT NULL REFERENCES shadow_runs (id),
    flip_kind         TEXT    NOT NULL,
    enforced_rule_id  TEXT    NOT NULL,
    candidate_rule_id TEXT    NOT NULL,
    divergences       BIGINT  NOT NULL,
    PRIMARY KEY (shadow_id, flip_kind, enforced_rule_id, candidate_rule_id)
);
