"""Event profiles: declarative tables from a record's fields to its event's keys.

A :class:`Profile` is a list of rows, in the order the event's keys are written:

* ``key(name, source, omit=..., when=..., unless=...)`` — an output key: its value comes from
  ``source``; it is left out when the value is None (``omit=NONE``, the default), when it is
  empty or zero (``omit=FALSY``), never (``omit=NEVER``), or when a condition says so;
* ``let(name, source)`` — a value later rows use (``"$name"``), not written.

A *source* is a reference or a transform. References: ``"fieldName"`` — a field of the record
(absent → :class:`KeyError`, as a mapper's ``r["x"]`` would be); ``"?fieldName"`` — a field that
only some block versions have (absent → None); ``"block.field"`` — a field of a named nested
block; ``"$name"`` — an earlier row's value (``"$name.field"`` its field). A transform may
stand where a reference does (``label("zone", "securityZones", uuid("ingressZone"))``).
Transforms: :func:`call` (a plain function of the inputs, optionally of the mapper's context),
:func:`formula` (a Python expression of the inputs, compiled inline), :func:`label` (a name from
a metadata table), :func:`lookup` (a static table), :func:`option` (a site option),
:func:`present`, :func:`const`, and the value normalisers of :mod:`.values` (``ip``, ``uuid``,
``text``, ``mac``, ``hex_digest``); a row may also write keys of its own (:class:`Expansion`).

Two things read a profile: :class:`Evaluator`, the reference path — the rows walked by plain
code over a decoded record, giving the event as a dict (what CEF lines and the tests use) —
and the event compiler (:mod:`.compiler`), which turns (record layout, profile) into one
function from the record's bytes to the event's JSON text. Both give the same bytes; the
tables also render the field documentation (:mod:`.docs`).
"""
from __future__ import annotations

# JSON types of values: how the compiler writes a value without the generic encoder.
INT, TEXT, TEXTS, INTS, FLOAT, ANY = "int", "text", "texts", "ints", "float", "any"
JSON = "json"  # the value is JSON text already (a nested object the compiler wrote)
# When a key is left out.
NONE, FALSY, NEVER = "none", "falsy", "never"


class Transform:
    """A value computed from ``inputs`` (references). ``pure``: a function of the inputs alone
    (the compiler may compute it once when they are constants); ``type``: the JSON type."""

    inputs = ()
    type = ANY
    pure = True
    doc = ""
    memo = None  # "pure", or "names" (until the FMC's names change): results worth remembering

    def bind(self, ctx):
        """The plain function of the input values, for this mapper's context."""
        raise NotImplementedError(f"{type(self).__name__} has no evaluator")

    def emit(self, compiler, args):
        """The compiled expression over the inputs' expressions ``args``; None lets the
        compiler call the bound function instead."""
        return None


class Field(Transform):
    """The input's value as it is."""

    def __init__(self, ref, type_=None):
        self.inputs, self.declared = (ref,), type_
        self.type = type_ or ANY
        self.doc = _describe(ref)

    def bind(self, ctx):
        return _identity

    def emit(self, compiler, args):
        return args[0]


def _identity(value):
    return value


class Const(Transform):
    def __init__(self, value, type_=None):
        self.value = value
        self.type = type_ or _type_of(value)
        self.doc = f"`{value}`"

    def bind(self, ctx):
        value = self.value
        return lambda: value


class Call(Transform):
    """``function(*inputs)``, or ``function(ctx, *inputs)`` with ``context=True`` (names the
    FMC sent, site options). ``memo``: the inputs repeat and the result depends on nothing
    else (nor is it changed by whoever gets it), so compiled functions remember it per inputs
    (until the FMC's names change, for a function of the context)."""

    def __init__(self, function, *inputs, type_=ANY, context=False, memo=False, doc=None):
        self.function, self.inputs, self.type = function, inputs, type_
        self.pure = not context
        self.memo = ("names" if context else "pure") if memo else None
        self.doc = doc or _doc_of(function, inputs)

    def function_of(self, ctx):
        return self.bind(ctx)  # (the compiler calls a memoised one through its memo)

    def bind(self, ctx):
        if self.pure:
            return self.function
        function = self.function
        return lambda *values: function(ctx, *values)

    def emit(self, compiler, args):
        function = compiler.const(self.function, "_f")
        if self.pure:
            return f"{function}({', '.join(args)})"
        return f"{function}({', '.join([compiler.const(compiler.context, '_ctx')] + args)})"


class Option(Transform):
    """A value of the site's options (``function(options)``): one per mapper."""

    def __init__(self, function, type_=ANY, doc=None):
        self.get, self.type = function, type_
        self.doc = doc or _doc_of(function, ())

    def bind(self, ctx):
        value = self.get(ctx.options)
        return lambda: value


class Present(Transform):
    """Whether the record has the field at all (a field of some layouts only)."""

    type = ANY

    def __init__(self, ref):
        self.inputs = (ref if ref.startswith("?") else "?" + ref,)
        self.doc = f"whether the record has {_describe(ref)}"

    def bind(self, ctx):
        return _is_not_none

    def emit(self, compiler, args):
        return f"({args[0]} is not None)"


def _is_not_none(value):
    return value is not None


class Label(Transform):
    """The FMC's name for an id, from metadata table ``table``: ``<thing>-<id>`` while the FMC
    has not named it, None for a placeholder name; zero ids and UUIDs are absent unless
    ``zero_absent`` is false (memoised per mapper, see :class:`~.common.Labels`)."""

    type = TEXT
    pure = False
    memo = "names"  # compiled functions remember it until the FMC's names change

    def __init__(self, thing, table, ref, zero_absent=True):
        self.thing, self.table, self.zero_absent = thing, table, zero_absent
        self.inputs = (ref,)
        self.doc = f"the name of {_describe(ref)} (metadata `{table}`, else `{thing}-<id>`)"

    def bind(self, ctx):
        return ctx.labels(self.thing, self.table, self.zero_absent).__getitem__

    function_of = bind


class Lookup(Transform):
    """``table.get(value, default)``, then column ``column`` of the row found (a tuple)."""

    def __init__(self, table, ref, default=None, column=None, type_=ANY, doc=None):
        self.table, self.default, self.column, self.type = table, default, column, type_
        self.inputs = (ref,)
        self.doc = doc or f"{_describe(ref)} looked up"

    def bind(self, ctx):
        get, default, column = self.table.get, self.default, self.column
        if column is None:
            return lambda value: get(value, default)
        return lambda value: get(value, default)[column]

    def emit(self, compiler, args):
        get = compiler.const(self.table.get, "_g")
        default = compiler.const(self.default, "_d")
        column = "" if self.column is None else f"[{self.column}]"
        return f"{get}({args[0]}, {default}){column}"


class Normal(Transform):
    """A value normaliser of :mod:`.common`. ``memo``: its inputs repeat (addresses, ids),
    so the compiler remembers its results; free text is not remembered."""

    def __init__(self, function, ref, type_=TEXT, memo=True, doc=None):
        self.normalise, self.inputs, self.type = function, (ref,), type_
        self.memo = "pure" if memo else None
        self.doc = doc or f"{_describe(ref)}, {function.__name__}"

    def bind(self, ctx):
        return self.normalise

    function_of = bind


class Formula(Transform):
    """A Python expression over the inputs, written ``{0}``, ``{1}`` … (``bytes`` is
    ``{0} + {1}``): compiled inline, evaluated by the reference path as the same expression.
    ``native``: the result is an ``int`` whenever the inputs are integer fields."""

    def __init__(self, template, *inputs, type_=ANY, native=False, doc=None):
        self.template, self.inputs, self.type = template, inputs, type_
        self.native = native  # an int whenever its inputs are (a sum of integer fields)
        self.doc = doc or template.format(*(_describe(ref) for ref in inputs))
        names = [f"_{n}" for n in range(len(inputs))]
        namespace = {}
        exec(compile(f"def formula({', '.join(names)}):\n    return {template.format(*names)}\n",
                     f"<formula {template}>", "exec"), namespace)  # noqa: S102 - our own tables
        self._function = namespace["formula"]

    def bind(self, ctx):
        return self._function

    def emit(self, compiler, args):
        return "(" + self.template.format(*args) + ")"


class Expansion(Transform):
    """A row that writes any number of keys of its own (discovery events write the record's
    own fields): ``bind(ctx)`` gives ``apply(record, env, out)`` for the reference path,
    ``compile(compiler)`` writes its keys' code; a profile with one reads whole records."""

    def compile(self, compiler):
        raise NotImplementedError(f"{type(self).__name__} does not compile")


# --- rows ----------------------------------------------------------------------------------------

class Row:
    """One row of a profile (see the module docstring)."""

    __slots__ = ("name", "transform", "is_key", "omit", "when", "unless", "doc")

    def __init__(self, name, transform, is_key, omit=NONE, when=None, unless=None, doc=None):
        if omit not in (NONE, FALSY, NEVER):
            raise ValueError(f"{name}: omit must be one of none, falsy, never, not {omit!r}")
        self.name, self.transform, self.is_key = name, transform, is_key
        self.omit, self.when, self.unless = omit, when, unless
        self.doc = doc

    @property
    def inputs(self):
        return self.transform.inputs + tuple(r for r in (self.when, self.unless) if r)

    def __repr__(self):
        return f"<{'key' if self.is_key else 'let'} {self.name}>"


def source(value, type_=None) -> Transform:
    return value if isinstance(value, Transform) else Field(value, type_)


def key(name, value=None, omit=NONE, when=None, unless=None, type_=None, doc=None) -> Row:
    """An output key; ``value`` defaults to the earlier row of the same name (``"$name"``)."""
    transform = source(f"${name}" if value is None else value, type_)
    if type_ is not None:
        transform.type = type_
    return Row(name, transform, True, omit, when, unless, doc)


def let(name, value, type_=None) -> Row:
    return Row(name, source(value, type_), False)


def const(value, type_=None) -> Const:
    return Const(value, type_)


def call(function, *inputs, type_=ANY, context=False, memo=False, doc=None) -> Call:
    return Call(function, *inputs, type_=type_, context=context, memo=memo, doc=doc)


def option(function, type_=ANY, doc=None) -> Option:
    return Option(function, type_, doc)


def label(thing, table, ref, zero_absent=True) -> Label:
    return Label(thing, table, ref, zero_absent)


def lookup(table, ref, default=None, column=None, type_=ANY, doc=None) -> Lookup:
    return Lookup(table, ref, default, column, type_, doc)


def present(ref) -> Present:
    return Present(ref)


def formula(template, *inputs, type_=ANY, native=False, doc=None) -> Formula:
    return Formula(template, *inputs, type_=type_, native=native, doc=doc)


class Profile:
    """The event of a family's records: ``rows`` (keys in output order), ``time`` (a source of
    the event's epoch seconds) and the key whose value is the managed device (``device``)."""

    def __init__(self, family, record_types, rows, time, device="device_id", doc=""):
        self.family, self.record_types = family, tuple(record_types)
        time = source(time)
        self.rows = _flatten(rows, [])
        hidden = []
        time.inputs = tuple(_inline(ref, "_time", hidden) for ref in time.inputs)
        self.rows += tuple(hidden)
        self.time, self.device = time, device
        # a row writing the record's own fields needs every field read
        self.whole = any(isinstance(row.transform, Expansion) for row in self.rows)
        self.doc = doc
        names = [row.name for row in self.rows]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"profile {family}: rows defined twice: {duplicates}")
        self.keys = tuple(row.name for row in self.rows if row.is_key)
        defined = set()
        for row in self.rows:
            for ref in row.inputs:
                if ref.startswith("$") and ref[1:].split(".")[0] not in defined:
                    raise ValueError(f"profile {family}: {row.name} uses {ref} before it is "
                                     f"defined")
            defined.add(row.name)

    def __repr__(self):
        return f"<Profile {self.family}>"


def _flatten(rows, out) -> tuple:
    """Rows with every transform given as an input replaced by a row of its own before it
    (``label("zone", "securityZones", uuid("ingressZone"))``)."""
    for row in rows:
        hidden = []
        row.transform.inputs = tuple(_inline(ref, f"_{row.name}", hidden)
                                     for ref in row.transform.inputs)
        out += hidden
        out.append(row)
    return tuple(out)


def _inline(ref, prefix, hidden):
    if isinstance(ref, str):
        return ref
    name = f"{prefix}_{len(hidden)}"
    ref.inputs = tuple(_inline(inner, name, hidden) for inner in ref.inputs)
    hidden.append(Row(name, ref, False))
    return f"${name}"


# --- the reference path --------------------------------------------------------------------------

_MISSING = object()


class Evaluator:
    """A profile walked by plain code over a decoded record (any mapping): ``(time, event dict)``.

    The reference the compiled functions are held to, and the path every record takes that the
    compiled one cannot vouch for."""

    def __init__(self, profile: Profile, ctx):
        self.profile = profile
        self.steps = [(row.name, row.is_key, row.omit, _resolver(row.when),
                       _resolver(row.unless), row.transform.bind(ctx),
                       None if isinstance(row.transform, Expansion) else
                       tuple(_resolver(ref) for ref in row.transform.inputs))
                      for row in profile.rows]
        self.time = (profile.time.bind(ctx),
                     tuple(_resolver(ref) for ref in profile.time.inputs))

    def __call__(self, record):
        env, out = {}, {}
        for name, is_key, omit, when, unless, function, inputs in self.steps:
            if inputs is None:  # a row that writes keys of its own (see Expansion)
                function(record, env, out)
                continue
            value = function(*[get(record, env) for get in inputs])
            env[name] = value
            if not is_key:
                continue
            if when is not None and not when(record, env):
                continue
            if unless is not None and unless(record, env):
                continue
            if omit == NONE:
                if value is None:
                    continue
            elif omit == FALSY and not value:
                continue
            out[name] = value
        function, inputs = self.time
        return function(*[get(record, env) for get in inputs]), out


def _resolver(ref):
    """``get(record, env)`` for a reference."""
    if ref is None:
        return None
    if ref.startswith("$"):
        name, _, path = ref[1:].partition(".")
        if not path:
            return lambda record, env: env[name]
        return lambda record, env: path_value(env[name], path)
    optional = ref.startswith("?")
    name, _, path = ref.lstrip("?").partition(".")
    if optional:
        if not path:
            return lambda record, env: record.get(name)
        return lambda record, env: path_value(record.get(name), path)
    if not path:
        return lambda record, env: record[name]
    return lambda record, env: path_value(record[name], path)


def path_value(value, path):
    """``value[a][b]…`` for the path ``a.b…``, None once a step is missing."""
    for part in path.split("."):
        if value is None:
            return None
        value = value.get(part)
    return value


def parse_ref(ref):
    """``(kind, name, path)``: kind ``env``, ``field`` or ``optional``."""
    if ref.startswith("$"):
        name, _, path = ref[1:].partition(".")
        return "env", name, path
    kind = "optional" if ref.startswith("?") else "field"
    name, _, path = ref.lstrip("?").partition(".")
    return kind, name, path


def _type_of(value):
    if isinstance(value, bool) or value is None:
        return ANY
    if isinstance(value, int):
        return INT
    if isinstance(value, str):
        return TEXT
    if isinstance(value, float):
        return FLOAT
    return ANY


def _describe(ref) -> str:
    if isinstance(ref, Transform):
        return ref.doc
    kind, name, path = parse_ref(ref)
    where = f"{name}.{path}" if path else name
    return f"`{where}`" if kind != "env" else where.strip("_").replace("_", " ")


def _doc_of(function, inputs) -> str:
    """The first sentence of the function's docstring, and what it reads."""
    text = " ".join((function.__doc__ or function.__name__).strip().split("\n\n")[0].split())
    what = text.rstrip(".")
    return f"{what} ({', '.join(_describe(ref) for ref in inputs)})" if inputs else what
