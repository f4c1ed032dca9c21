"""ecredit — e-commerce credit information platform."""

__version__ = "0.1.0"
