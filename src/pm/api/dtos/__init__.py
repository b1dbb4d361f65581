"""Request bodies: shape validation only; meaning is checked by pm.core."""
