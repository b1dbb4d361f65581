"""The generated signing secret used when JWT_SECRET is not configured."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "jwt_secret"


def load_or_create_secret(base_path: Path) -> str:
    """Read the secret stored under `base_path`, creating it (mode 0600) on first use."""
    path = base_path / SECRET_FILE
    base_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write a private temp file, then link it into place: two processes starting at
        # once agree on one secret and nobody ever reads a half-written file.
        scratch = base_path / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"the stored JWT secret in {path} is too short; delete it")
    return secret
