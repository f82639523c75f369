"""The projection rules of OrderStatusView: pure values and functions, no I/O."""
