"""Sadap (สดับ): social listening and proactive monitoring for Thai organisations."""

__version__ = "0.1.0"
