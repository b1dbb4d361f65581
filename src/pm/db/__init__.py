"""Storage: tables, migrations, tenant connections, executors and repositories."""
