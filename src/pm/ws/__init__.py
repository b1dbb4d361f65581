"""The /ws endpoint: Protocol Buffers over WebSocket — subscriptions, commands, events."""
