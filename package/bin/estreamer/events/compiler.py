"""(record layout, profile) → one function from a record's bytes to its event's JSON text.

The function a connection record of block 174 gets reads the record's fixed-size fields in runs
with precompiled ``struct``s and its texts inline, then writes the event's keys as precomputed
fragments: names come from the per-table memo dicts of the mapper's context, texts are escaped
by the standard library's C escaper, and an omitted key is skipped by a test, not by building
and filtering a dict. There is no Record, no event dict and no JSON encoder in between.

It is compiled once per shape seen — record type, header form and the version of each nested
block (:class:`Shape`) — like the layout readers, and it vouches only for what it was compiled
for: a record of another shape, a block shorter or longer than its table, trailing bytes or any
surprise raises, and the caller takes the reference path (:class:`~.profile.Evaluator` over the
decoded record), which gives the same bytes. Rows whose inputs the layout lacks, or that depend
only on constants (the record type), are decided here, once.

:func:`identity_profile` is the profile of a record's own fields (``stream`` without
``--events``): the same compiler writes the record's JSON line.
"""
from __future__ import annotations

import json

from ..compiler import CannotCompile, FlatReader, Shape  # noqa: F401 (part of this module's API)
from ..fields import Int, ListOf, Raw, Text, Var, When
from ..record import plain
from .profile import (
    ANY,
    FALSY,
    FLOAT,
    INT,
    INTS,
    JSON,
    NEVER,
    NONE,
    TEXT,
    TEXTS,
    Expansion,
    Field,
    Formula,
    Option,
    Present,
    Profile,
    Row,
    Transform,
    parse_ref,
    path_value,
)

_encode_text = json.encoder.encode_basestring  # json's C escaper (ensure_ascii=False)
_encode_any = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _float_json(value) -> str:
    if type(value) is not float:
        raise TypeError(f"not a float: {value!r}")
    return _encode_any(value)


def _texts_json(values) -> str:
    return "[" + ",".join(map(_encode_text, values)) + "]"


def _ints_json(values) -> str:
    return "[" + ",".join(map(int.__repr__, values)) + "]"


def _any_json(value) -> str:
    return _encode_any(plain(value))


# --- the event -------------------------------------------------------------------------------------

class Value:
    """What the compiler knows of a value: its expression, whether it is a constant (and which),
    whether it is an ``int`` for sure (``native``), its JSON type, and for a fixed-size field
    the local holding its raw bytes and the function giving its text (``raw``, ``decode``)."""

    __slots__ = ("expr", "constant", "value", "native", "type", "raw", "decode")

    def __init__(self, expr, constant=False, value=None, native=False, type_=ANY, raw=None,
                 decode=None):
        self.expr, self.constant, self.value, self.native = expr, constant, value, native
        self.type, self.raw, self.decode = type_, raw, decode


def _constant_value(value):
    return Value(repr(value) if value is None or type(value) in (bool, int, float, str)
                 else None, True, value, type(value) is int, ANY)


class Memos:
    """The memo dicts of one mapper's compiled functions: a hit is one dict lookup. Those of
    names the FMC sent are emptied when the metadata cache changes (:meth:`sync`)."""

    def __init__(self):
        self.pure, self.names = {}, {}

    def memo(self, key, function, names: bool):
        table = self.names if names else self.pure
        memo = table.get(key)
        if memo is None:
            memo = table[key] = Memo(function)
        return memo

    def sync(self):
        for memo in self.names.values():
            memo.clear()


class Memo(dict):
    """``function(key)`` remembered per key; bounded: emptied when full."""

    __slots__ = ("function",)
    LIMIT = 1 << 16

    def __init__(self, function):
        super().__init__()
        self.function = function

    def __missing__(self, key):
        if len(self) >= self.LIMIT:
            self.clear()
        value = self[key] = self.function(key)
        return value


class EventCompiler:
    """Compiles ``profile`` for records of ``shape`` read by ``layout`` (of ``catalog``), with
    the names and options of ``context``:
    ``event(buf) -> (sourcetype, time, device, json_text)``, ``time`` the profile's or, where
    it is 0 or None, ``clock()``. ``memos`` holds the memo dicts (:class:`Memos`) its
    functions share."""

    def __init__(self, catalog, layout, shape: Shape, profile: Profile, context, memos=None,
                 sourcetype=None, clock=None):
        self.profile, self.context, self.shape = profile, context, shape
        self.sourcetype, self.clock = sourcetype, clock
        self.memos = memos if memos is not None else Memos()
        self.reader = FlatReader(catalog, layout, shape,
                                 None if profile.whole else _fields_used(profile))
        self.reader.signature = "event(buf)"
        self.reader.env.update(_E=_encode_text, _ET=_texts_json, _EI=_ints_json,
                               _EF=_float_json, _EA=_any_json, _I=int.__repr__, _P=path_value)
        self.referenced = _referenced(profile)
        self.env = {}        # row name -> Value
        self.parts = []      # the event text: (literal, expression, expression is literal)
        self.written = {}    # key -> the expression of its value where written, else None
        self.present = {}    # key -> "True", or the local holding its text ("" when left out)
        self._count = 0

    # what transforms use
    def const(self, value, prefix="_c"):
        return self.reader.const(value, prefix)

    def line(self, text):
        self.reader.line(text)

    def local(self, expr, prefix="r"):
        self._count += 1
        var = f"{prefix}{self._count}"
        self.line(f"{var} = {expr}")
        return var

    def compile(self):
        reader, shape, line = self.reader, self.shape, self.line
        reader.read_header(shape)
        reader.read_record()
        for row in self.profile.rows:
            self.row(row)
        time = self.value(self.profile.time).expr
        if self.clock is not None:
            time = f"({time} or {self.const(self.clock, '_clock')}())"
        device = self.written.get(self.profile.device) or "None"
        line(f"return {self.sourcetype!r}, {time}, {device}, {self.text()}")
        return reader.function(f"<event {self.profile.family} {shape.key}>")

    # --- values --------------------------------------------------------------------------------

    def ref(self, ref) -> Value:
        kind, name, path = parse_ref(ref)
        if kind == "env":
            value = self.env[name]
            if not path:
                return value
            if value.constant:
                return _constant_value(path_value(value.value, path))
            return Value(f"_P({value.expr}, {path!r})")
        full = f"{name}.{path}" if path else name
        if full == "recordType":
            return _constant_value(self.shape.record_type)
        if full == "archiveTimestamp":
            if self.shape.archived:
                return Value("archive", native=True, type_=INT)
            return _constant_value(None)
        reader = self.reader
        if full in reader.exprs:
            field_kind = reader.kinds.get(full)
            if isinstance(field_kind, Raw):
                return Value(reader.exprs[full], type_=TEXT, raw=reader.vars[full],
                             decode=field_kind.decode)
            return Value(reader.exprs[full], native=isinstance(field_kind, Int),
                         type_=_type_of(field_kind))
        if full in reader.nested:
            raise CannotCompile(f"{self.profile.family}: {full} is a block; name its fields")
        if path and name in reader.exprs:  # a field of a list or of a whole value
            return Value(f"_P({reader.exprs[name]}, {path!r})")
        if path and name in reader.nested:  # a field this version of the block lacks
            return _constant_value(None)
        if kind == "optional":
            return _constant_value(None)
        raise CannotCompile(f"{self.profile.family}: the layout has no field {full}")

    def value(self, transform: Transform) -> Value:
        """The value of a transform over its inputs."""
        if isinstance(transform, _Nested):
            return Value(transform.emit(self, ()), type_=JSON)
        inputs = [self.ref(ref) for ref in transform.inputs]
        if isinstance(transform, Field):
            found = inputs[0]
            if transform.declared is None or transform.declared == found.type:
                return found
            return Value(found.expr, found.constant, found.value, found.native,
                         transform.declared, found.raw, found.decode)
        if isinstance(transform, Present) and inputs[0].native:
            return _constant_value(True)  # an integer field this layout has is always there
        if transform.pure and all(value.constant for value in inputs):
            result = _constant_value(transform.bind(self.context)(*[v.value for v in inputs]))
            result.type = transform.type
            if result.expr is None:
                result.expr = self.const(result.value, "_k")
            return result
        if isinstance(transform, Option):  # the site's options are the mapper's, fixed
            result = _constant_value(transform.bind(self.context)())
            result.type = transform.type
            if result.expr is None:
                result.expr = self.const(result.value, "_k")
            return result
        if transform.memo and inputs:
            memo = self.memo(transform, inputs)
            return Value(f"{memo}[{_memo_key(inputs)}]", type_=transform.type)
        args = [value.expr for value in inputs]
        expr = transform.emit(self, args)
        if expr is None:
            expr = f"{self.const(transform.bind(self.context), '_f')}({', '.join(args)})"
        # integer arithmetic on integers read from the wire gives an integer
        native = isinstance(transform, Formula) and transform.native and \
            all(value.native for value in inputs)
        return Value(expr, native=native, type_=transform.type)

    def memo(self, transform, inputs, fragment=None):
        """The name of the memo dict of ``transform`` over ``inputs`` (one input: fused with
        the raw field's text form; several: keyed by their tuple); with ``fragment``
        ``(prefix, omit)`` it holds the key's whole text."""
        function = transform.function_of(self.context) if transform.memo else _identity
        decode = None
        if len(inputs) > 1:
            function = _spread(function)
        elif inputs[0].raw:
            decode = inputs[0].decode
            function = _compose(function, decode)
        if fragment is not None:
            function = _fragment(function, *fragment)
        memo = self.memos.memo((transform, decode, fragment), function,
                               transform.memo == "names")
        return self.const(memo, "_M")

    def row(self, row: Row):
        transform = row.transform
        if isinstance(transform, Expansion):
            transform.compile(self)
            return
        if row.is_key and row.name not in self.referenced and transform.inputs:
            if transform.memo:
                found = [self.ref(ref) for ref in transform.inputs]
                if not all(value.constant for value in found):
                    self.fragment(row, found)
                    return
            elif isinstance(transform, Field) and self._small_int(transform.inputs[0]):
                self.fragment(row, [self.ref(transform.inputs[0])])
                return
        value = self.value(transform)
        if not value.constant and not value.expr.isidentifier():
            value.expr = self.local(value.expr)
        self.env[row.name] = value
        if row.is_key:
            self.key(row, value)

    # --- the text -------------------------------------------------------------------------------

    def tests(self, row: Row):
        """The tests of the key's when/unless; None when it is never written."""
        tests = []
        for ref, wanted in ((row.when, True), (row.unless, False)):
            if ref is None:
                continue
            test = self.ref(ref)
            if test.constant:
                if bool(test.value) != wanted:
                    return None
                continue
            tests.append(test.expr if wanted else f"not {test.expr}")
        return tests

    def _small_int(self, ref):
        """A one-byte integer field: few values, each key's text worth remembering (two bytes
        already hold ports and counters, which seldom repeat)."""
        kind, name, path = parse_ref(ref)
        field_kind = self.reader.kinds.get(f"{name}.{path}" if path else name)
        return kind != "env" and isinstance(field_kind, Int) and field_kind.size == 1 and \
            (f"{name}.{path}" if path else name) in self.reader.exprs

    def fragment(self, row: Row, found):
        """A key whose whole text comes from one memo lookup (``,"name":"value"`` or "")."""
        tests = self.tests(row)
        if tests is None:
            return
        memo = self.memo(row.transform, found, (f",{_encode_text(row.name)}:", row.omit))
        lookup = f"{memo}[{_memo_key(found)}]"
        if tests:
            lookup = f"({lookup} if {' and '.join(tests)} else '')"
        part = self.local(lookup, "p")
        self.parts.append(("", part, False))
        self.present[row.name] = part

    def key(self, row: Row, value: Value):
        """The key's fragment: always there, never, or behind a test."""
        tests = self.tests(row)
        if tests is None:
            return
        if value.constant:
            if (row.omit == NONE and value.value is None) or (row.omit == FALSY and
                                                              not value.value):
                return
        elif row.omit == NONE and not value.native:
            tests.append(f"{value.expr} is not None")
        elif row.omit == FALSY:
            tests.append(value.expr)
        type_ = row.transform.type if row.transform.type != ANY else value.type
        name = _encode_text(row.name)
        if value.constant:
            part = (f",{name}:", _render_constant(value.value, type_), True)
        else:
            part = (f",{name}:", self.render(value.expr, type_, value.native), False)
        condition = " and ".join(tests)
        self.written[row.name] = f"({value.expr} if {condition} else None)" if tests \
            else value.expr
        if not tests:
            self.parts.append(part)
            self.present[row.name] = "True"
            return
        local = self.local(f"{_fstring([part])} if {condition} else ''", "p")
        self.parts.append(("", local, False))
        self.present[row.name] = local

    @staticmethod
    def render(expr, type_, native):
        """The expression of a value's JSON text (an f-string placeholder's content)."""
        if type_ == INT:
            return expr if native else f"_I({expr})"
        if type_ == JSON or native:
            return expr
        return {TEXT: "_E", TEXTS: "_ET", INTS: "_EI", FLOAT: "_EF"}.get(type_, "_EA") + \
            f"({expr})"

    def text(self):
        parts = list(self.parts)
        if not parts or parts[0][0] == "":
            # the first key may be left out: write each key with its comma, drop the first one
            return f"'{{' + {_fstring(parts)}[1:] + '}}'"
        parts[0] = (parts[0][0][1:],) + parts[0][1:]  # the first key is always there
        return _fstring([("{", None, True)] + parts + [("}", None, True)])


def _identity(value):
    return value


def _spread(function):
    return lambda key: function(*key)


def _memo_key(inputs):
    if len(inputs) == 1:
        return inputs[0].raw or inputs[0].expr
    return "(" + ", ".join(value.expr for value in inputs) + ")"


def _compose(function, decode):
    return lambda raw: function(decode(raw))


def _fragment(function, prefix, omit):
    """``,"name":<JSON>`` of ``function(value)``, or "" where the key is left out."""
    def fragment(value):
        value = function(value)
        if (omit == NONE and value is None) or (omit == FALSY and not value):
            return ""
        return prefix + _encode_any(plain(value))
    return fragment


def _fields_used(profile):
    """The record fields a profile reads (``block.field`` for a named block's)."""
    used = set()
    for transform in [row.transform for row in profile.rows] + [profile.time]:
        for ref in transform.inputs:
            kind, name, path = parse_ref(ref)
            if kind != "env":
                used.add(f"{name}.{path}" if path else name)
                used.add(name)
    for row in profile.rows:
        for ref in (row.when, row.unless):
            if ref and parse_ref(ref)[0] != "env":
                used.add(parse_ref(ref)[1])
    return used


def _referenced(profile):
    """Rows whose value another row, a condition or the time uses, and the device key."""
    names = {profile.device}
    for row in profile.rows:
        for ref in row.inputs:
            kind, name, _ = parse_ref(ref)
            if kind == "env":
                names.add(name)
    for ref in profile.time.inputs:
        kind, name, _ = parse_ref(ref)
        if kind == "env":
            names.add(name)
    return names


def _render_constant(value, type_):
    return _encode_any(plain(value))


def _fstring(parts):
    """One f-string of ``(literal, expression, expression is literal text)`` parts."""
    out = []
    for literal, expr, is_literal in parts:
        out.append(_escape(literal))
        if expr is not None:
            out.append(_escape(expr) if is_literal else "{" + expr + "}")
    return "f'" + "".join(out) + "'"


def _escape(text):
    return (text.replace("\\", "\\\\").replace("'", "\\'").replace("{", "{{").replace("}", "}}")
            .replace("\n", "\\n").replace("\r", "\\r"))


# --- the record itself -----------------------------------------------------------------------------

class Whole(Transform):
    """A nested block or a list in its plain JSON form (the decoder's)."""

    type = ANY

    def __init__(self, ref):
        self.inputs = (ref,)

    def bind(self, ctx):
        return plain


class _Nested(Transform):
    """A named block read inline, written as a JSON object from its fields' locals."""

    type = JSON
    pure = False

    def __init__(self, name, reader):
        self.name, self.reader, self.inputs = name, reader, (name,)

    def bind(self, ctx):
        return plain

    def emit(self, compiler, args):
        return _object(self.name, compiler.reader)


def _object(name, reader):
    parts = []
    for field in reader.nested[name]:
        key = _encode_text(field[len(name) + 1:])
        if field in reader.nested:
            parts.append((f",{key}:", _object(field, reader), False))
            continue
        kind = reader.kinds[field]
        parts.append((f",{key}:", EventCompiler.render(reader.exprs[field], _type_of(kind),
                                                       isinstance(kind, Int)), False))
    if not parts:
        return "'{}'"
    parts[0] = (parts[0][0][1:],) + parts[0][1:]
    return _fstring([("{", None, True)] + parts + [("}", None, True)])


def _type_of(kind):
    if isinstance(kind, When):
        kind = kind.kind
    if isinstance(kind, Int):
        return INT
    if isinstance(kind, (Text, Var, Raw)):
        return TEXT
    return ANY


def identity_profile(catalog, layout, shape: Shape) -> Profile:
    """Every field of records of ``shape`` as the decoder gives them (``record.as_dict()``):
    the header's record type and archive timestamp, then the fields in wire order — a field
    named twice at its first place with its last value —, nested blocks as objects."""
    reader = FlatReader(catalog, layout, shape)
    reader.read_record()
    rows = [Row("recordType", Field("recordType", INT), True, NEVER)]
    if shape.archived:
        rows.append(Row("archiveTimestamp", Field("archiveTimestamp", INT), True, NEVER))
    for name in reader.order:
        if name in ("recordType", "archiveTimestamp"):
            continue
        kind = reader.kinds[name]
        if name in reader.nested:
            transform = _Nested(name, reader)
        elif isinstance(kind, ListOf):
            transform = Whole(name)
        else:
            transform = Field(name, _type_of(kind))
        # present fields only: the value of an absent optional field (when()) is None
        rows.append(Row(name, transform, True, NONE if isinstance(kind, When) else NEVER))
    profile = Profile("record", (shape.record_type,), rows, time=Field("?archiveTimestamp"),
                      device="deviceId")
    profile.whole = True  # every field is read, nested ones included
    return profile


def nested_dict(reader, name):
    """The source of a dict of a named block read inline (its fields' locals, nested blocks
    as dicts): what the record's value of that block holds."""
    items = []
    for field in reader.nested[name]:
        short = field[len(name) + 1:]
        value = nested_dict(reader, field) if field in reader.nested else reader.exprs[field]
        items.append(f"{short!r}: {value}")
    return "{" + ", ".join(items) + "}"
