"""SQL only: each module queries one area of the schema. No rules, no HTTP."""
