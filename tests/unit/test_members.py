"""Project access: viewers read, editors change work, admins manage; a project keeps an admin."""

from __future__ import annotations

import pytest

from pm.core.errors import Forbidden, InvalidInput, NotFound
from pm.core.members import ProjectMember, Role, allows, check_access, check_keeps_an_admin

VIEWER, EDITOR, ADMIN = Role.VIEWER, Role.EDITOR, Role.ADMIN

# Who may do what, written out pair by pair: (role held, role needed) → allowed.
ALLOWED = {
    (VIEWER, VIEWER): True,
    (VIEWER, EDITOR): False,
    (VIEWER, ADMIN): False,
    (EDITOR, VIEWER): True,
    (EDITOR, EDITOR): True,
    (EDITOR, ADMIN): False,
    (ADMIN, VIEWER): True,
    (ADMIN, EDITOR): True,
    (ADMIN, ADMIN): True,
}


def member(user_id: str, role: Role) -> ProjectMember:
    """A member of project p1."""
    return ProjectMember("p1", user_id, role, 0, 0, "root", "root")


@pytest.mark.parametrize(("held", "needed"), list(ALLOWED))
def test_a_role_allows_what_it_includes(held: Role, needed: Role) -> None:
    assert allows(held, needed) is ALLOWED[held, needed]


@pytest.mark.parametrize(("held", "needed"), list(ALLOWED))
def test_members_need_a_big_enough_role(held: Role, needed: Role) -> None:
    if ALLOWED[held, needed]:
        check_access(held, needed, tenant_admin=False, project_id="p1")
    else:
        with pytest.raises(Forbidden, match=f"needs the {needed.value} role"):
            check_access(held, needed, tenant_admin=False, project_id="p1")


def test_a_project_you_are_not_a_member_of_does_not_exist_for_you() -> None:
    with pytest.raises(NotFound) as caught:
        check_access(None, VIEWER, tenant_admin=False, project_id="p1")
    assert (caught.value.entity, caught.value.ident) == ("project", "p1")


@pytest.mark.parametrize("held", [None, VIEWER, EDITOR])
def test_tenant_admins_may_do_everything_member_or_not(held: Role | None) -> None:
    check_access(held, ADMIN, tenant_admin=True, project_id="p1")


@pytest.mark.parametrize("new_role", [None, VIEWER, EDITOR])
def test_the_last_admin_can_neither_leave_nor_step_down(new_role: Role | None) -> None:
    members = [member("alice", ADMIN), member("bob", EDITOR)]
    with pytest.raises(InvalidInput) as caught:
        check_keeps_an_admin(members, "alice", new_role)
    assert caught.value.field == ("user_id" if new_role is None else "role")


@pytest.mark.parametrize("new_role", [None, VIEWER, EDITOR, ADMIN])
def test_an_admin_with_another_admin_beside_them_may_leave_or_step_down(
    new_role: Role | None,
) -> None:
    members = [member("alice", ADMIN), member("bob", ADMIN)]
    check_keeps_an_admin(members, "alice", new_role)


@pytest.mark.parametrize("new_role", [None, VIEWER, ADMIN])
def test_changing_a_non_admin_never_loses_the_admin(new_role: Role | None) -> None:
    members = [member("alice", ADMIN), member("bob", EDITOR)]
    check_keeps_an_admin(members, "bob", new_role)
    check_keeps_an_admin(members, "carol", new_role)  # not a member yet


def test_the_last_admin_may_stay_admin() -> None:
    check_keeps_an_admin([member("alice", ADMIN)], "alice", ADMIN)
