-- Draft ownership: only a draft's author (drafts.created_by) and the co-authors listed here may
-- save or publish it. The author, or an admin, manages the list; every change is audited
-- (`draft.coauthors`). Removing a co-author deletes the row.
CREATE TABLE draft_coauthors (
    draft_id BIGINT  NOT NULL REFERENCES drafts (id),
    user_id  BIGINT  NOT NULL REFERENCES users (id),
    added_by BIGINT  NOT NULL REFERENCES users (id),
    added_at BIGINT  NOT NULL,
    PRIMARY KEY (draft_id, user_id)
);

-- The template's click counter is gone (it needed no session and proved nothing the pages do
-- not prove); so is its table.
DROP TABLE counters;
