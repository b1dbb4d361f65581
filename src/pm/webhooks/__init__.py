"""Webhook deliveries: the tenant's event stream, signed and POSTed to each subscription."""
