"""Records' own JSON lines (``stream`` without ``--events``), compiled per shape."""
from __future__ import annotations

from ..programs import Programs


def record_programs(catalog) -> Programs:
    """Compiled functions writing records' own JSON (``stream`` without ``--events``): the
    identity profile of each shape, as ``record.as_dict()`` gives it."""
    from .compiler import EventCompiler, identity_profile

    def compile(layout, shape):
        profile = identity_profile(catalog, layout, shape)
        return EventCompiler(catalog, layout, shape, profile, None).compile()
    return Programs(catalog, compile, lambda record_type: True)
