-- Wake the outbox relay from the database itself: every INSERT statement into the outbox
-- NOTIFYs fitshop_outbox. PostgreSQL delivers notifications at commit (never for a rolled-back
-- transaction) and folds identical ones of one transaction into one, so writers no longer send
-- their own NOTIFY round trip.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fitshop_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
