-- The seller's deliveries (one per placed order) and tombstones of orders cancelled before
-- their OrderPlaced reached us (so a late OrderPlaced cannot resurrect them).
CREATE TABLE deliveries (
    id                          uuid        PRIMARY KEY,
    order_id                    uuid        NOT NULL UNIQUE,
    customer_id                 text        NOT NULL,
    customer_email              text,
    locale                      text        NOT NULL DEFAULT 'ko' CHECK (locale IN ('ko', 'en')),
    status                      text        NOT NULL
        CHECK (status IN ('REQUESTED', 'STARTED', 'IN_TRANSIT', 'DELIVERED', 'CANCELLED')),
    lines                       jsonb       NOT NULL,
    shipping_address            jsonb       NOT NULL,
    version                     int         NOT NULL CHECK (version >= 1),
    cancellation_refused_reason text,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);
-- The queue is read oldest first, with or without a status filter.
CREATE INDEX deliveries_queue ON deliveries (created_at, id);
CREATE INDEX deliveries_queue_by_status ON deliveries (status, created_at, id);

CREATE TABLE cancelled_orders (
    order_id          uuid        PRIMARY KEY,
    customer_id       text        NOT NULL,
    reason            text        NOT NULL,
    cancelled_at      timestamptz NOT NULL,
    late_placement_at timestamptz
);
