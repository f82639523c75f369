"""The notification domain: what a customer is told, and how it reads in Korean and English."""
