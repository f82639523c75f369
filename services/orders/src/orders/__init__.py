"""fitshop orders: orders, payment, the product replica; REST and gRPC over one application service."""
