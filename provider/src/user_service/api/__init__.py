"""HTTP layer of the user service."""
