"""Server-rendered pages for people, chosen by content negotiation (HAL clients are unaffected)."""
