"""Command handlers, one module per domain noun; importing this package registers them all.

Every module of the package is imported here (each handler registers itself with
`pm.ws.commands.command`), so a new module needs no line of its own.
"""

import importlib
import pkgutil

from pm.ws.commands import HANDLERS

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["HANDLERS"]
