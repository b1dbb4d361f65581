"""A thin client of the public REST API and WebSocket: what `pm` and the MCP tools speak."""
