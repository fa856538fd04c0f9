"""Test support for the broker: live servers, databases, the official clients."""
