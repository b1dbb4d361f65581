"""The MCP tools, declared once: served at /mcp by pm-server and over stdio by `pm mcp`."""
