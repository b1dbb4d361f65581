"""`python -m pm.server` is `pm-server`."""

from pm.server.cli import main

main()
