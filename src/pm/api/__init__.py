"""The REST API: routers, request DTOs, the error mapping and request middleware."""
