-- Orders with their lines and address (value objects, kept as JSON with the order), the payment
-- record, the catalog product replica, idempotency keys of POST /orders, and refunds still due.
CREATE TABLE orders (
    id                      uuid        PRIMARY KEY,
    customer_id             text        NOT NULL,
    customer_email          text,
    locale                  text        NOT NULL DEFAULT 'ko',
    status                  text        NOT NULL,
    version                 integer     NOT NULL,
    total_amount            bigint      NOT NULL CHECK (total_amount >= 0),
    currency                text        NOT NULL,
    lines                   jsonb       NOT NULL,
    shipping_address        jsonb       NOT NULL,
    payment_outcome_unknown boolean     NOT NULL DEFAULT false,
    delivery_version        integer     NOT NULL DEFAULT 0,
    delivery_status         text,
    cancel_reason           text,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CONSTRAINT orders_status CHECK (status IN ('PAYMENT_PENDING', 'PLACED', 'PREPARING', 'SHIPPING',
        'DELIVERED', 'PAYMENT_DECLINED', 'PAYMENT_UNAVAILABLE', 'CANCELLED'))
);
-- "my orders", newest first, keyset-paginated on (created_at, id)
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);
-- the reconciler's work list stays small: only orders whose payment outcome is open
CREATE INDEX orders_awaiting_payment ON orders (updated_at)
    WHERE status = 'PAYMENT_PENDING' OR (status = 'PAYMENT_UNAVAILABLE' AND payment_outcome_unknown);

-- One payment record per order: what the provider said (approved, declined, refunded).
CREATE TABLE payments (
    order_id     uuid        PRIMARY KEY REFERENCES orders (id),
    id           text        NOT NULL UNIQUE,
    status       text        NOT NULL,
    amount       bigint      NOT NULL,
    currency     text        NOT NULL,
    card_last4   text,
    decline_code text,
    message      text,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id         uuid        PRIMARY KEY,
    sku        text        NOT NULL,
    name       text        NOT NULL,
    category   text        NOT NULL DEFAULT '',
    price      bigint      NOT NULL,
    currency   text        NOT NULL,
    stock      integer     NOT NULL,
    version    integer     NOT NULL,
    deleted    boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Keys are per customer: two customers may pick the same key without meeting each other.
CREATE TABLE idempotency_keys (
    customer_id text        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    -- the order row is written later in the same transaction
    order_id    uuid        NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, key)
);

CREATE TABLE refunds_due (
    payment_id  text        PRIMARY KEY,
    order_id    uuid        NOT NULL,
    amount      bigint      NOT NULL,
    currency    text        NOT NULL,
    found_at    timestamptz NOT NULL DEFAULT now(),
    refunded_at timestamptz
);
CREATE INDEX refunds_still_due ON refunds_due (found_at) WHERE refunded_at IS NULL;
