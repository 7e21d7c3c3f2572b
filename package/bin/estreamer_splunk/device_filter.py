"""Which managed devices an input keeps: its allow and deny lists, applied before the sink.

An input may name managed devices by name or by id (``device_allow``, ``device_deny``); records
carry the id, and the FMC's metadata (the client's cache) names it. A record of no device
(metadata, some discovery events) always passes.
"""
from __future__ import annotations

from typing import AbstractSet, Any, Mapping, Optional, Protocol, Tuple


class _Mapper(Protocol):
    def render(self, body: bytes) -> Optional[Tuple[str, float, Any, str]]: ...


class _Sink(Protocol):
    mapper: _Mapper

    def write(self, record: Any) -> Any: ...
    def write_rendered(self, rendered: Tuple[str, float, Any, str]) -> bool: ...
    def flush(self) -> None: ...


class _Names(Protocol):
    def name(self, table: str, key: Any) -> Optional[str]: ...


class DeviceFilter:
    """A sink that passes on only the records of the managed devices an input allows."""

    def __init__(self, sink: _Sink, names: _Names, allow: AbstractSet[str],
                 deny: AbstractSet[str]):
        self.sink, self.names = sink, names
        self.allow, self.deny = set(allow), set(deny)

    def wanted(self, record: Mapping[str, Any]) -> bool:
        return self.wanted_device(record.get("deviceId"))

    def wanted_device(self, device: Any) -> bool:
        if device is None:
            return True
        names = {str(device), self.names.name("devices", device) or ""}
        if self.allow and not names & self.allow:
            return False
        return not names & self.deny

    def write(self, record: Mapping[str, Any]) -> None:
        if self.wanted(record):
            self.sink.write(record)

    def write_body(self, body: bytes) -> bool:
        """An event record's bytes, compiled (see the sink's ``write_body``): dropped here
        when its device is not wanted."""
        rendered = self.sink.mapper.render(body)
        if rendered is None:
            return False
        if self.wanted_device(rendered[2]):
            self.sink.write_rendered(rendered)
        return True

    def flush(self) -> None:
        self.sink.flush()

    @property
    def buffered(self) -> int:
        """What the sink holds (see ``estreamer.client.SINK_BUFFER``)."""
        return int(getattr(self.sink, "buffered", 0))


__all__ = ["DeviceFilter"]
