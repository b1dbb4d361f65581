"""Repositories: one module per table, plain async functions over an Executor. They never commit."""
