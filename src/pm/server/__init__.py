"""Settings, the application factory and the `pm-server` command."""
