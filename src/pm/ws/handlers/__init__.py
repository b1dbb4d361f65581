"""Command handlers, one module per domain noun; importing this package registers them all."""

from pm.ws.commands import HANDLERS
from pm.ws.handlers import work_items

__all__ = ["HANDLERS", "work_items"]
