"""journey: customer-journey health monitor."""

__version__ = "0.1.0"
