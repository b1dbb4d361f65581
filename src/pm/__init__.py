"""Multi-tenant agile project management backend."""
