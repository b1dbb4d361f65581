"""`pm`, the command line for people and agents: REST and /ws only, no server code."""
