"""Eval expressions: ``props.conf`` ``EVAL-*`` calculated fields and the ``eval``/``where``
commands, with Splunk's semantics ("Search Reference: eval", "Evaluation functions").

* Operators, loosest binding first (the eval page's precedence table): ``OR``, ``XOR``, ``AND``,
  ``NOT``/``!``; comparisons ``= == != < > <= >= LIKE``; ``.`` (concatenation); ``+ -``;
  ``* / %``; unary minus. ``AND OR NOT XOR LIKE`` are read in any case.
* Null propagates: arithmetic, concatenation and comparisons with a null operand are null; a
  null condition is false (``if``, ``case``, ``where``); ``coalesce`` returns its first non-null
  argument.
* Comparisons are numeric when both sides read as numbers, else case-sensitive text.
* Multivalue fields pass whole through ``coalesce``, ``if``, ``case``, ``isnull``,
  ``isnotnull`` and ``mvcount``; any other operator or function given one raises
  :class:`EvalError` instead of guessing what Splunk would do.
* A condition must be boolean, and a field cannot be assigned a boolean (Splunk: "Fields cannot
  be assigned a boolean result").

Anything else this module does not know — a function, an operator, a format — is an
:class:`EvalError` naming it.
"""
from __future__ import annotations

import calendar
import math
import re
import time

from .values import number, render

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<field>'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|[-+*/%.()<>=,!])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)
_KEYWORDS = {"AND", "OR", "NOT", "XOR", "LIKE"}
_COMPARISONS = {"=", "==", "!=", "<", ">", "<=", ">=", "LIKE"}


class EvalError(ValueError):
    """An expression this model cannot read or evaluate faithfully."""


def _tokens(text: str):
    out, position = [], 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise EvalError(f"cannot read {text[position:position + 20]!r} in eval {text!r}")
        position = found.end()
        kind = found.lastgroup
        if kind == "space":
            continue
        value = found.group(kind)
        if kind in ("string", "field"):
            # Only \" \' and \\ are escapes; any other backslash stays (regexes: "\d+").
            value = re.sub(r'\\(["\'\\])', r"\1", value[1:-1])
        elif kind == "word" and value.upper() in _KEYWORDS:
            kind, value = "op", value.upper()
        out.append((kind, value))
    return out


# --- values ------------------------------------------------------------------------------------

def _single(value, where):
    if isinstance(value, list):
        raise EvalError(f"{where}: a multivalue operand ({value!r}) is not modelled")
    if isinstance(value, bool):
        raise EvalError(f"{where}: a boolean is not a value here")
    return value


def truth(value, where="condition") -> bool:
    """A condition's value: booleans as they are, null as false, anything else an error."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise EvalError(f"{where}: {value!r} is not a boolean")


def _compare(operator, left, right):
    if left is None or right is None:
        return None
    left, right = _single(left, operator), _single(right, operator)
    if operator == "LIKE":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                          for c in render(right))
        return re.fullmatch(pattern, render(left), re.DOTALL) is not None
    a, b = number(left), number(right)
    if a is None or b is None:
        a, b = render(left), render(right)
    if operator in ("=", "=="):
        return a == b
    if operator == "!=":
        return a != b
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator]


def _arithmetic(operator, left, right):
    if left is None or right is None:
        return None
    left, right = _single(left, operator), _single(right, operator)
    a, b = number(left), number(right)
    if operator == "+" and (a is None or b is None):
        if a is None and b is None:  # "+" joins two strings
            return render(left) + render(right)
        return None
    if a is None or b is None:
        return None
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if b == 0:
        return None  # Splunk: division by zero is null
    if operator == "/":
        result = a / b
        return int(result) if isinstance(a, int) and isinstance(b, int) and a % b == 0 \
            else result
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else a % b


def _concatenate(left, right):
    if left is None or right is None:
        return None
    return render(_single(left, ".")) + render(_single(right, "."))


# --- functions ---------------------------------------------------------------------------------
# Each takes the argument *closures*, the row and the environment, so that if/case/coalesce
# evaluate lazily as Splunk does.

def _eager(function, arity):
    low, high = arity if isinstance(arity, tuple) else (arity, arity)

    def call(name, args, row, env):
        if not low <= len(args) <= high:
            raise EvalError(f"{name}() takes {low}-{high} arguments, got {len(args)}")
        return function(*(arg(row, env) for arg in args))
    call.arity = (low, high)
    return call


def _fn_if(name, args, row, env):
    if len(args) != 3:
        raise EvalError("if() takes 3 arguments")
    return args[1](row, env) if truth(args[0](row, env), "if()") else args[2](row, env)


def _fn_case(name, args, row, env):
    if len(args) % 2:
        raise EvalError("case() takes condition, value pairs")
    for condition, value in zip(args[::2], args[1::2]):
        if truth(condition(row, env), "case()"):
            return value(row, env)
    return None


def _fn_coalesce(name, args, row, env):
    for arg in args:
        value = arg(row, env)
        if value is not None:
            return value
    return None


def _text_function(transform):
    def function(value):
        if value is None:
            return None
        return transform(render(_single(value, "text function")))
    return function


def _tostring(value, format_=None):
    if value is None:
        return None
    value = _single(value, "tostring()")
    if format_ is not None:
        raise EvalError(f"tostring() format {format_!r} is not modelled")
    return render(value)


def _tonumber(value, base=None):
    if value is None:
        return None
    value = _single(value, "tonumber()")
    if base is None or number(base) == 10:
        return number(value)
    try:
        return int(render(value), int(number(base)))
    except (TypeError, ValueError):
        return None


def _round(value, digits=0):
    value = number(_single(value, "round()")) if value is not None else None
    if value is None:
        return None
    digits = int(number(digits) or 0)
    result = round(value, digits)
    return int(result) if digits == 0 else result


def _strftime(value, format_):
    seconds = number(_single(value, "strftime()")) if value is not None else None
    if seconds is None or format_ is None:
        return None
    # The model's search head runs in UTC; %Z names it.
    return time.strftime(format_.replace("%Z", "UTC"), time.gmtime(seconds))


_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400,
          "w": 604800}
_RELATIVE = re.compile(r"([+-]\d*)(s|sec|min|m|hr|h|d|w)|@(s|m|h|d|w)")


def relative_seconds(base, modifier: str) -> float:
    """``relative_time``'s modifiers ("Time modifiers"): offsets like ``-15m`` and snaps like
    ``@h``, in UTC; months and years are not modelled."""
    at, position = float(base), 0
    while position < len(modifier):
        found = _RELATIVE.match(modifier, position)
        if found is None:
            raise EvalError(f"time modifier {modifier!r} is not modelled")
        position = found.end()
        if found.group(3):
            unit = _UNITS[found.group(3)]
            if unit == 604800:
                raise EvalError("snapping to weeks is not modelled")
            at -= at % unit
        else:
            count = found.group(1)
            amount = int(count) if count not in ("+", "-") else int(count + "1")
            at += amount * _UNITS[found.group(2)]
    return at


def _relative_time(value, modifier):
    seconds = number(_single(value, "relative_time()")) if value is not None else None
    if seconds is None or modifier is None:
        return None
    return relative_seconds(seconds, modifier)


def _fn_now(name, args, row, env):
    if args:
        raise EvalError("now() takes no arguments")
    return env.now


def _fn_isnum(value):
    return number(value) is not None if not isinstance(value, list) else False


def _fn_mvcount(value):
    if value is None:
        return None
    return len(value) if isinstance(value, list) else 1


def _mvjoin(value, separator):
    if value is None:
        return None
    return render(separator).join(render(item) for item in (value if isinstance(value, list)
                                                            else [value]))


def _replace(value, regex, replacement):
    """``replace(X, regex, replacement)``: PCRE substitution; ``\\1`` in the replacement."""
    if value is None:
        return None
    from .extraction import pcre
    return pcre(render(regex)).sub(render(replacement).replace("\\", "\\"),
                                   render(_single(value, "replace()")))


_SEARCHES = {}


def _fn_searchmatch(name, args, row, env):
    """``searchmatch("<search terms>")``: the row matches the terms (:mod:`.search`)."""
    from .search import Search, SearchError
    if len(args) != 1:
        raise EvalError("searchmatch() takes 1 argument")
    text = args[0](row, env)
    if not isinstance(text, str):
        raise EvalError("searchmatch() takes a search string")
    search = _SEARCHES.get(text)
    if search is None:
        try:
            search = _SEARCHES[text] = Search(text)
        except SearchError as error:
            raise EvalError(str(error)) from None
    return search(row)


def _constant(result):
    def function(name, args, row, env):
        if args:
            raise EvalError(f"{name}() takes no arguments")
        return result
    return function


# The vocabulary of props.conf EVAL-* in this add-on (and the compatibility layer built on it).
PROPS_FUNCTIONS = {
    "coalesce": _fn_coalesce, "if": _fn_if, "case": _fn_case,
    "lower": _eager(_text_function(str.lower), 1), "upper": _eager(_text_function(str.upper), 1),
    "tostring": _eager(_tostring, (1, 2)), "tonumber": _eager(_tonumber, (1, 2)),
    "isnull": _eager(lambda value: value is None, 1),
    "isnotnull": _eager(lambda value: value is not None, 1),
    "true": _constant(True), "false": _constant(False), "null": _constant(None),
}
# The eval/where commands of the dashboards and alerts add these.
SEARCH_FUNCTIONS = dict(
    PROPS_FUNCTIONS, round=_eager(_round, (1, 2)), strftime=_eager(_strftime, 2),
    relative_time=_eager(_relative_time, 2), now=_fn_now, isnum=_eager(_fn_isnum, 1),
    mvcount=_eager(_fn_mvcount, 1), mvjoin=_eager(_mvjoin, 2), searchmatch=_fn_searchmatch,
    replace=_eager(_replace, 3),
)


# --- the parser: text → closure(row, env) ------------------------------------------------------

class Expression:
    """A compiled expression: ``Expression(text)(row, env)`` → value; ``fields`` are the field
    names it reads."""

    def __init__(self, text: str, functions=None):
        self.text = text
        self.functions = SEARCH_FUNCTIONS if functions is None else functions
        self.fields = set()
        self._tokens, self._at = _tokens(text), 0
        if not self._tokens:
            raise EvalError("empty eval expression")
        self._run = self._or()
        if self._at != len(self._tokens):
            raise EvalError(f"unexpected {self._tokens[self._at][1]!r} in eval {text!r}")
        del self._tokens

    def __call__(self, row, env=None):
        return self._run(row, env)

    # tokens
    def _peek(self):
        return self._tokens[self._at] if self._at < len(self._tokens) else (None, None)

    def _take(self, expected=None):
        token = self._peek()
        if token[0] is None or (expected is not None and token != ("op", expected)):
            raise EvalError(f"expected {expected or 'more'} at {token[1]!r} in eval {self.text!r}")
        self._at += 1
        return token

    def _binary(self, operators, operand, combine):
        left = operand()
        while self._peek()[0] == "op" and self._peek()[1] in operators:
            operator = self._take()[1]
            right = operand()
            left = combine(operator, left, right)
        return left

    # grammar, loosest first
    def _or(self):
        return self._binary({"OR"}, self._xor, lambda _, a, b: lambda r, e: truth(a(r, e), "OR")
                            or truth(b(r, e), "OR"))

    def _xor(self):
        return self._binary({"XOR"}, self._and, lambda _, a, b: lambda r, e: truth(a(r, e), "XOR")
                            != truth(b(r, e), "XOR"))

    def _and(self):
        return self._binary({"AND"}, self._not, lambda _, a, b: lambda r, e: truth(a(r, e), "AND")
                            and truth(b(r, e), "AND"))

    def _not(self):
        if self._peek() in (("op", "NOT"), ("op", "!")):
            self._take()
            inner = self._not()
            return lambda r, e: not truth(inner(r, e), "NOT")
        return self._comparison()

    def _comparison(self):
        left = self._concatenation()
        if self._peek()[0] == "op" and self._peek()[1] in _COMPARISONS:
            operator = self._take()[1]
            right = self._concatenation()
            return lambda r, e: _compare(operator, left(r, e), right(r, e))
        return left

    def _concatenation(self):
        return self._binary({"."}, self._additive,
                            lambda _, a, b: lambda r, e: _concatenate(a(r, e), b(r, e)))

    def _additive(self):
        return self._binary({"+", "-"}, self._multiplicative,
                            lambda op, a, b: lambda r, e: _arithmetic(op, a(r, e), b(r, e)))

    def _multiplicative(self):
        return self._binary({"*", "/", "%"}, self._unary,
                            lambda op, a, b: lambda r, e: _arithmetic(op, a(r, e), b(r, e)))

    def _unary(self):
        if self._peek() == ("op", "-"):
            self._take()
            inner = self._unary()
            return lambda r, e: _arithmetic("-", 0, inner(r, e))
        return self._primary()

    def _primary(self):
        kind, value = self._take()
        if kind == "number":
            constant = number(value)
            return lambda r, e: constant
        if kind == "string":
            return lambda r, e: value
        if kind == "field":
            return self._field(value)
        if (kind, value) == ("op", "("):
            inner = self._or()
            self._take(")")
            return inner
        if kind == "word":
            if self._peek() == ("op", "("):
                return self._call(value)
            return self._field(value)
        raise EvalError(f"unexpected {value!r} in eval {self.text!r}")

    def _field(self, name):
        self.fields.add(name)
        return lambda r, e: r.get(name)

    def _call(self, name):
        function = self.functions.get(name)
        if function is None:
            raise EvalError(f"function {name}() is not modelled (eval {self.text!r})")
        self._take("(")
        args = []
        if self._peek() != ("op", ")"):
            args.append(self._or())
            while self._peek() == ("op", ","):
                self._take()
                args.append(self._or())
        self._take(")")
        arity = getattr(function, "arity", None)
        if arity and not arity[0] <= len(args) <= arity[1]:
            raise EvalError(f"{name}() takes {arity[0]}-{arity[1]} arguments, got {len(args)}")
        return lambda r, e: function(name, args, r, e)


def assigned(value, target: str):
    """A value an eval assigns to a field: booleans are refused, as Splunk refuses them."""
    if isinstance(value, bool):
        raise EvalError(f"eval {target}: a field cannot be assigned a boolean result")
    return value


def epoch(text: str) -> float:
    """``YYYY-mm-dd HH:MM:SS`` (UTC) as epoch seconds — for tests that need a fixed clock."""
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))
