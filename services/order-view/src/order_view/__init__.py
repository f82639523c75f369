"""order-view: the CQRS "my orders" read model — Order* and Delivery* events projected into Redis."""
