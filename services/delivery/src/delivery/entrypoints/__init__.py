"""Ways into the delivery service: the seller's HTTP API and the order event consumers."""
