"""The decoded record: a read-only mapping of field names to plain values.

Records of one layout share one :class:`Shape` (their field names and where each lives), so a
record is just a shape and a tuple of values, as a namedtuple is. Building a ~100-key dict per
connection record would cost more than decoding it; a Record costs one tuple. ``as_dict()``
gives plain dicts and lists (for JSON), ``==`` compares with any mapping.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Dict, Iterable, Tuple


class Shape:
    """Field names in wire order. A name that occurs twice (a merged block repeating a header
    field, e.g. ``deviceId``) keeps its first place and its last value, as a dict update would."""

    __slots__ = ("names", "index")

    def __init__(self, names: Iterable[str]) -> None:
        self.names: Tuple[str, ...] = tuple(names)
        self.index: Dict[str, int] = {}
        for position, name in enumerate(self.names):
            self.index[name] = position

    def __repr__(self) -> str:
        return f"Shape{self.names}"


EMPTY = Shape(())
_COMBINED: Dict[Tuple[Shape, ...], Shape] = {}
_BY_NAMES: Dict[Tuple[str, ...], Shape] = {}


def combine(parts: Tuple[Shape, ...]) -> Shape:
    """The shape of values laid end to end (memoised by the identity of the parts)."""
    shape = _COMBINED.get(parts)
    if shape is None:
        shape = _COMBINED[parts] = Shape(name for part in parts for name in part.names)
    return shape


def shape_of(names: Iterable[str]) -> Shape:
    key = tuple(names)
    shape = _BY_NAMES.get(key)
    if shape is None:
        shape = _BY_NAMES[key] = Shape(key)
    return shape


class Record(Mapping[str, Any]):
    """A shape and the values of its fields, in the shape's order. ``values`` is that tuple, not
    :meth:`Mapping.values`: records are read by field name, and the compiled code that builds
    them wants the slot under this short name."""

    __slots__ = ("shape", "values")
    shape: Shape
    values: Tuple[Any, ...]  # type: ignore[assignment]  # the tuple above, by design

    def __init__(self, shape: Shape, values: Tuple[Any, ...]) -> None:
        self.shape, self.values = shape, values

    @classmethod
    def from_dict(cls, fields: Dict[str, Any]) -> Record:
        return cls(shape_of(fields), tuple(freeze(v) for v in fields.values()))

    def __getitem__(self, key: str) -> Any:
        return self.values[self.shape.index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        position = self.shape.index.get(key)
        return default if position is None else self.values[position]

    def __contains__(self, key: object) -> bool:
        return key in self.shape.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.shape.index)

    def __len__(self) -> int:
        return len(self.shape.index)

    def as_dict(self) -> Dict[str, Any]:
        values = self.values
        return {name: plain(values[position]) for name, position in self.shape.index.items()}

    def __repr__(self) -> str:
        return f"Record({self.as_dict()!r})"


def freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return Record.from_dict(value)
    if isinstance(value, list):
        return [freeze(item) for item in value]
    return value


def plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.as_dict()
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
