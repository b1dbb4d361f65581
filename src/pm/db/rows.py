"""Mapping between frozen domain dataclasses and table rows (column lists, inserts, updates)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from enum import Enum
from typing import Any, TypeVar

from pm.core.records import field_values
from pm.db.query import Query, Row, sql

T = TypeVar("T")


_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names, in declaration order (= the SELECT column order)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def columns(cls: type, alias: str | None = None) -> str:
    """A SELECT column list matching the dataclass's fields."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + name for name in field_names(cls))


def _converter(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An enum class converts through a dict of its values (cheaper than `Enum(value)`)."""
    if isinstance(convert, type) and issubclass(convert, Enum):
        return {member.value: member for member in convert}.__getitem__
    return convert


def mapper(cls: type[T], **converters: Callable[[Any], Any]) -> Callable[[Row], T]:
    """A function building `cls` from a row selected with `columns(cls)`."""
    names = field_names(cls)
    unknown = set(converters) - set(names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no fields {sorted(unknown)}")
    conv = [(i, _converter(converters[n])) for i, n in enumerate(names) if n in converters]
    if not conv:
        return lambda row: cls(*row)

    def build(row: Row) -> T:
        values = list(row)
        for index, convert in conv:
            if values[index] is not None:
                values[index] = convert(values[index])
        return cls(*values)

    return build


_PLAIN = frozenset({str, int, float, bytes, bool})


def _bindable(value: object) -> object:
    """An enum member as its plain value (what is stored); anything else unchanged."""
    return value.value if isinstance(value, Enum) else value


class Insert:
    """The INSERT statements of one table, from one dataclass.

    A single row names only its fields that are set: every column's default is NULL, and
    binding a None costs the sqlite3 module a failed adaptation lookup (a formatted
    AttributeError), while a typical new row leaves half its optional fields empty. Enum values
    are bound as their plain value for the same reason. One statement is cached per set of
    fields (a handful per table in practice).
    """

    __slots__ = ("_by_fields", "_values", "cls", "full", "names", "table")

    def __init__(self, table: str, cls: type) -> None:
        self.table = table
        self.cls = cls
        self.names = field_names(cls)
        self._values = field_values(cls)
        self.full = self._statement(self.names)
        self._by_fields: dict[tuple[str, ...], Query] = {}

    def _statement(self, names: tuple[str, ...]) -> Query:
        return sql(
            f"INSERT INTO {self.table} ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + n for n in names)})",
            f"insert {self.table}",
        )

    def one(self, obj: object) -> tuple[Query, dict[str, object]]:
        """The statement and parameters inserting `obj`."""
        values: dict[str, object] = {}
        for name, value in zip(self.names, self._values(obj), strict=True):
            if value is not None:
                values[name] = value if type(value) in _PLAIN else _bindable(value)
        names = tuple(values)
        query = self._by_fields.get(names)
        if query is None:
            query = self._by_fields[names] = self._statement(names)
        return query, values

    def many(self, objs: Iterable[object]) -> tuple[Query, list[dict[str, object]]]:
        """One statement (every field) and a parameter set per object."""
        names = self.names
        return self.full, [
            dict(zip(names, map(_bindable, self._values(obj)), strict=True)) for obj in objs
        ]


def insert_query(table: str, cls: type) -> Insert:
    """The INSERT statements of `table` for rows made from `cls`."""
    return Insert(table, cls)


_UPDATES: dict[tuple[str, tuple[str, ...], str], Query] = {}


def update_query(table: str, names: Iterable[str], key: str = "id") -> Query:
    """UPDATE of the named columns of one row, by primary key (one Query per column set).

    Name only the columns that changed where it matters: SQLite rewrites the entries of
    every index over a column in the SET list, whether its value changed or not.
    """
    cache_key = (table, tuple(names), key)
    query = _UPDATES.get(cache_key)
    if query is None:
        assignments = ", ".join(f"{n} = :{n}" for n in cache_key[1])
        query = _UPDATES[cache_key] = sql(
            f"UPDATE {table} SET {assignments} WHERE {key} = :{key}", f"update {table}"
        )
    return query


def params(obj: object, names: Iterable[str] | None = None) -> Mapping[str, object]:
    """The dataclass's values as statement parameters."""
    return {n: getattr(obj, n) for n in (names if names is not None else field_names(type(obj)))}
