"""Use cases: one function each, run inside a tenant unit of work. REST and WebSocket call these."""
