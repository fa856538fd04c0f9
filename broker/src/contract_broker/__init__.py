"""A Pact-Broker-compatible broker."""
