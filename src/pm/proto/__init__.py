"""Generated protobuf code for the WebSocket wire contract (proto/messages.proto)."""
