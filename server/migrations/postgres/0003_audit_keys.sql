-- The keyed audit log. From here on every entry is signed with the evidence key (Ed25519 over
-- its sequence number and hash) and names that key, so an attacker who can write the database
-- but does not hold the key cannot re-chain edited or forged entries. An entry also lists the
-- rows it vouches for (table, id, SHA-256 of the row's content), so `cavra audit verify` can
-- tell when a sign-off, evidence packet or enforcement move was edited, deleted or inserted
-- behind the service's back. Entries written before this migration stay unsigned; the first
-- signed entry after them pins them through the hash chain.

-- Every evidence key the server ever signed with. The newest is the current one; older ones
-- stay so that old packets and audit entries remain verifiable after a rotation.
CREATE TABLE evidence_keys (
    id          BIGSERIAL PRIMARY KEY,
    public_key  TEXT    NOT NULL UNIQUE,
    fingerprint TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

ALTER TABLE audit_log ADD COLUMN rows_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE audit_log ADD COLUMN key_id BIGINT;
ALTER TABLE audit_log ADD COLUMN signature TEXT;
