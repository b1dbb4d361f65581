"""Tenant ids: they come from the token and become directory and schema names."""

from __future__ import annotations

import re

from pm.core.errors import Unauthenticated

TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def validate_tenant_id(tenant_id: object) -> str:
    """Return `tenant_id` when it is safe to use as a path component; else Unauthenticated."""
    # fullmatch, not match: `$` would also let a trailing newline into the path.
    if not isinstance(tenant_id, str) or not TENANT_PATTERN.fullmatch(tenant_id):
        raise Unauthenticated(
            "tenant_id must be 1-63 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return tenant_id
