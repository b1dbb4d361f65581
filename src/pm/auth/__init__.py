"""Authentication: JWT validation, secrets, the request principal, development tokens."""
