"""The broker's rules. Services take a session, raise domain errors, and never build HTTP."""
