"""Project membership request bodies."""

from __future__ import annotations

from pm.api.dtos.common import Body
from pm.core.members import Role


class SetMember(Body):
    """The role to give the user in the project (adds them if they are not a member)."""

    role: Role
