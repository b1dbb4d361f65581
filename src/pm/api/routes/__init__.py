"""One router per domain noun, all mounted under /api/v1."""
