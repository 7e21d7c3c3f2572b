"""The value normalisers of :mod:`.common` as table transforms: what the event tables write as
``ip("initiatorIpAddress")`` or ``text("clientUrl")``.

Addresses, UUIDs, MACs and hashes repeat (a network has so many of them), so compiled functions
remember their results, per raw value when the field is fixed-size. Free text does not repeat
as much, so :func:`text` is compiled inline instead: a text longer than every placeholder
whose ends are not blank cannot be a placeholder, and is kept as it is without a lookup.
"""
from __future__ import annotations

from . import common
from .compiler import Memo
from .profile import TEXT, Normal, Transform, _describe
from .tables import PLACEHOLDERS

_LONGEST_PLACEHOLDER = max(len(placeholder) for placeholder in PLACEHOLDERS)
_SHORT_TEXTS = Memo(common.text)  # short texts repeat (names, domains, VRFs): one lookup each


def ip(ref) -> Normal:
    return Normal(common.ip, ref, TEXT, doc=f"{_describe(ref)} (address text; `::`, "
                                           f"`0.0.0.0` absent)")


def uuid(ref) -> Normal:
    return Normal(common.uuid, ref, TEXT, doc=f"{_describe(ref)} (lower-case UUID; the zero "
                                             f"UUID absent)")


def mac(ref) -> Normal:
    return Normal(common.mac, ref, TEXT, doc=f"{_describe(ref)} (lower-case MAC; zero absent)")


def hex_digest(ref) -> Normal:
    return Normal(common.hex_digest, ref, TEXT, doc=f"{_describe(ref)} (lower-case hex; an "
                                                   f"all-zero digest absent)")


class Text(Transform):
    """Free text; empty and FMC placeholders (``Unknown``, ``N/A`` …) are absent."""

    type = TEXT

    def __init__(self, ref):
        self.inputs = (ref,)
        self.doc = f"{_describe(ref)}"

    def bind(self, ctx):
        return common.text

    def emit(self, compiler, args):
        if not args[0].isidentifier():
            return f"{compiler.const(common.text, '_T')}({args[0]})"
        value, check = args[0], compiler.const(_SHORT_TEXTS, "_T")
        # strip() leaves such a text as it is and lower() never shortens one, so it is not a
        # placeholder: text() would return it unchanged; a shorter one is looked up
        return (f"({value} if len({value}) > {_LONGEST_PLACEHOLDER} and not {value}[0].isspace()"
                f" and not {value}[-1].isspace() else {check}[{value}])")


def text(ref) -> Text:
    return Text(ref)
