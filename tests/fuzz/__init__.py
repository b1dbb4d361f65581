"""Fuzz tests: generated HTTP requests and WebSocket frames against a real app."""
