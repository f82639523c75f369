-- Events are now published by the process that commits them (fitshop_common.outbox.OutboxPublisher);
-- the relay only sweeps what that missed, on its own schedule, so nothing listens any more.
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
