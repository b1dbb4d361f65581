"""Tenant ids become directory and schema names, so only a strict shape is accepted."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core.errors import Unauthenticated
from pm.core.tenants import validate_tenant_id


@pytest.mark.parametrize("tenant_id", ["acme", "a", "0", "acme-corp_2", "9lives", "a" * 63])
def test_safe_tenant_ids_are_returned(tenant_id: str) -> None:
    assert validate_tenant_id(tenant_id) == tenant_id


@pytest.mark.parametrize(
    "tenant_id",
    [
        "",
        "../x",
        "..",
        ".",
        "a/b",
        "a\\b",
        "/abs",
        "ACME",
        "Acme",
        "-acme",
        "_acme",
        "ac me",
        "acme\n",
        "acme\x00",
        "a.b",
        "äcme",
        "a" * 64,
        "a" * 300,
    ],
)
def test_unsafe_tenant_ids_are_refused(tenant_id: str) -> None:
    with pytest.raises(Unauthenticated, match="tenant_id") as caught:
        validate_tenant_id(tenant_id)
    assert caught.value.field is None
    assert caught.value.code == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("tenant_id", [None, 42, b"acme", ["acme"]])
def test_non_strings_are_refused(tenant_id: object) -> None:
    with pytest.raises(Unauthenticated) as caught:
        validate_tenant_id(tenant_id)
    assert caught.value.field is None


@given(tenant_id=st.text(alphabet=string.ascii_letters + string.digits + "-_./\n\\", max_size=70))
def test_an_accepted_tenant_id_is_a_single_safe_path_component(tenant_id: str) -> None:
    allowed = set(string.ascii_lowercase + string.digits + "-_")
    safe = (
        1 <= len(tenant_id) <= 63
        and tenant_id[0] in string.ascii_lowercase + string.digits
        and set(tenant_id) <= allowed
    )
    if safe:
        assert validate_tenant_id(tenant_id) == tenant_id
    else:
        with pytest.raises(Unauthenticated):
            validate_tenant_id(tenant_id)
