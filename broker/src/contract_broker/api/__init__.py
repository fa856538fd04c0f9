"""HTTP layer: routes shape HAL; rules live in services."""
