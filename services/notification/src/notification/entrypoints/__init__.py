"""Ways into the notification service: the customer's inbox API and the event consumers."""
