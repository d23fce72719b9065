"""Events out: domain events from the log, an outbox, signed webhooks and a NATS stream."""
