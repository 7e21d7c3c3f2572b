"""A complete Cisco Firepower eStreamer client, in pure Python.

Layers, bottom up: :mod:`~estreamer.wire` (sans-I/O protocol), :mod:`~estreamer.fields`,
:mod:`~estreamer.layout` and :mod:`~estreamer.catalog` (declarative record tables; their
reader, compiler and writer),
:mod:`~estreamer.decoder` (record bodies → dicts), :mod:`~estreamer.metadata` (ids → names).
Nothing here imports Splunk; ``python -m estreamer`` is the command line.
"""
__version__ = "0.1.0"
