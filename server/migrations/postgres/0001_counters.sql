-- Named counters; the home page's click counter proves the browser → server → database path.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
