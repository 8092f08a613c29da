-- Chronicle schema, PostgreSQL. Times are epoch milliseconds; JSON columns hold orjson text.

-- The one row whose update allocates seq numbers: the write lock held to commit makes
-- allocation follow commit order (see docs/ordering.md).
CREATE TABLE chronicle_head (
    id  BIGINT  PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO chronicle_head (id, seq) VALUES (1, 0);

CREATE TABLE events (
    seq            BIGINT  PRIMARY KEY,
    tenant_id      TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    event_type     TEXT    NOT NULL,
    tags           TEXT    NOT NULL,
    value          TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    payload_bytes  BYTEA,
    occurred_at    BIGINT  NOT NULL,
    received_at    BIGINT  NOT NULL,
    actor_id       TEXT,
    actor_type     TEXT,
    resource_type  TEXT,
    resource_id    TEXT,
    correlation_id TEXT,
    causation_id   TEXT,
    parent_ids     TEXT    NOT NULL,
    outcome        TEXT,
    metadata       TEXT    NOT NULL,
    attributes     TEXT    NOT NULL,
    source         TEXT    NOT NULL
);
CREATE UNIQUE INDEX events_tenant_id ON events (tenant_id, id);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at, seq);
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
CREATE INDEX events_type_time ON events (tenant_id, event_type, occurred_at, seq);
CREATE INDEX events_actor_time ON events (tenant_id, actor_id, occurred_at, seq);
CREATE INDEX events_actor_type_time ON events (tenant_id, actor_type, occurred_at, seq);
CREATE INDEX events_resource_time ON events (tenant_id, resource_type, resource_id, occurred_at, seq);
CREATE INDEX events_correlation_time ON events (tenant_id, correlation_id, occurred_at, seq);

CREATE TABLE event_tags (
    tenant_id   TEXT    NOT NULL,
    tag         TEXT    NOT NULL,
    occurred_at BIGINT  NOT NULL,
    seq         BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, tag, occurred_at, seq)
);
CREATE INDEX event_tags_seq ON event_tags (seq);

-- Metadata and dialect attributes, one row per key, typed so filters can compare numbers.
CREATE TABLE event_meta (
    tenant_id TEXT    NOT NULL,
    ns        TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    vtext     TEXT,
    vnum      DOUBLE PRECISION,
    seq       BIGINT  NOT NULL
);
CREATE INDEX event_meta_text ON event_meta (tenant_id, ns, key, vtext, seq);
CREATE INDEX event_meta_num ON event_meta (tenant_id, ns, key, vnum, seq);
CREATE INDEX event_meta_seq ON event_meta (seq);

-- Counts kept as events are written: per hour (bucket = hour start) and all-time (bucket -1).
-- key1/key2 hold 'v:<value>' or 'n' for an absent value, so they can be part of the key.
CREATE TABLE event_counts (
    tenant_id TEXT    NOT NULL,
    dim       TEXT    NOT NULL,
    bucket    BIGINT  NOT NULL,
    key1      TEXT    NOT NULL,
    key2      TEXT    NOT NULL,
    total     BIGINT  NOT NULL,
    successes BIGINT  NOT NULL,
    failures  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, dim, bucket, key1, key2)
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT    NOT NULL,
    tenant_id   TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_revoked ON api_keys (revoked_at);

CREATE TABLE blobs (
    tenant_id    TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    name         TEXT,
    data         BYTEA    NOT NULL,
    metadata     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE catalog (
    tenant_id  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
