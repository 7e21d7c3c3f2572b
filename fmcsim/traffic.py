"""The FMC's event archive: a deterministic, virtual sequence of event records.

Entry ``i`` (0-based; its *serial* is ``i + 1``) has a record type from a repeating pattern of the
selected families, archive timestamp ``start_time + i // per_second`` (several records share a
second, as on a real FMC), and a body taken from a pool of pre-encoded variants in which only
the identifying fields are patched with ``struct.pack_into``. Nothing is encoded per record on
the hot path, so a million connection records cost no more than the pool. Entries past
``records`` are the live stream (``--live RATE``): archive timestamp = simulator start second +
``(i - records) // RATE``, available once that moment has passed.

``skew`` (``--archive-skew SECONDS``) shifts every archive timestamp by SECONDS and nothing
else: the records, their order and every field of their content (event times included) stay
as they are. Two simulators with different skews are an FMC high-availability pair: the same
events, each FMC stamping its own archive time (replication lag). The since-timestamp of a
request is read on the shifted clock.

Identity (``record_key``; the manifest computes the same string without decoding):

=====================  ======================================================================
record types           key
=====================  ======================================================================
71                     ``71:<deviceId>:<instanceId * 65536 + connectionCounter>`` (= serial)
500, 502, 125          ``<type>:<deviceId>:<connectionInstance * 65536 + connectionCounter>``
400, 112               ``<type>:<deviceId>:<eventId>`` (= serial)
2, 9                   ``<type>:<deviceId>:<eventId>`` (the serial of their intrusion event)
110                    ``110:<deviceId>:<eventId>:<type>`` (one per extra-data type)
discovery-header ones  ``<type>:<deviceId>:<filePosition>`` (= serial)
=====================  ======================================================================

Block versions follow the event version the client asked for (newest the catalog has that the
requested version covers):

=========================  ===========================================================
event code (record)        requested version → block
=========================  ===========================================================
71 connection (71)         ≤14 → 160, 15 → 163, 16 → 170, ≥17 → 174 (NAT fields)
12 intrusion (400)         ≤9 → 60, 10 → 81, ≥11 → 85
111 file (500, 502)        ≤6 → 56, ≥7 → 79
101 malware (125)          ≤7 → 62, ≥8 → 80
others                     the single block the catalog lists for the record
=========================  ===========================================================
"""
from __future__ import annotations

import json
import struct
import time

from estreamer.catalog import RECORDS
from estreamer.decoder import encode_record
from estreamer.wire import GENESIS, HEADER, NOW, EventCode, MessageType, RequestFlags, iter_frames

from . import world
from .faults import poison_record

START_TIME = 1_700_000_000
POOL = 512  # distinct variants per record type

FAMILIES = ("connection", "intrusion", "file", "malware", "correlation", "identity", "vpn",
            "discovery")

# (record type, distance to the intrusion event it belongs to, extra-data type)
FAMILY_SLOTS = {
    "intrusion": ((400, 0, 0), (110, 1, 2), (110, 2, 9), (2, 3, 0), (9, 4, 0)),
    "file": ((500, 0, 0), (502, 0, 0)),
    "malware": ((125, 0, 0),),
    "correlation": ((112, 0, 0),),
    "identity": ((94, 0, 0), (95, 0, 0), (93, 0, 0), (92, 0, 0)),
    "vpn": ((170, 0, 0), (171, 0, 0)),
    "discovery": ((10, 0, 0), (11, 0, 0), (13, 0, 0), (15, 0, 0), (22, 0, 0), (101, 0, 0),
                  (160, 0, 0), (19, 0, 0)),
}

CODE_OF = {71: EventCode.CONNECTION, 400: EventCode.INTRUSION, 110: EventCode.INTRUSION,
           2: EventCode.INTRUSION, 9: EventCode.IMPACT, 500: EventCode.FILE, 502: EventCode.FILE,
           125: EventCode.MALWARE, 112: EventCode.CORRELATION, 92: EventCode.USER,
           93: EventCode.USER, 94: EventCode.USER, 95: EventCode.USER, 170: EventCode.USER,
           171: EventCode.USER}
# companions the request flags switch on (besides their event code)
NEEDS_FLAG = {2: RequestFlags.PACKET_DATA, 110: RequestFlags.EVENT_EXTRA_DATA}

BLOCK_CHOICE = {  # record type → ((minimum requested version, block), ...) newest first
    71: ((17, 174), (16, 170), (15, 163), (0, 160)),
    400: ((11, 85), (10, 81), (0, 60)),
    500: ((7, 79), (0, 56)),
    502: ((7, 79), (0, 56)),
    125: ((8, 80), (0, 62)),
}

# Fields patched per record: (field, struct code, value). Values: s = serial, p = serial of the
# intrusion event a companion belongs to, t = the event's time (the unshifted archive second).
_CONN_ID = (("instanceId", "H", "s >> 16 & 65535"), ("connectionCounter", "H", "s & 65535"))
_FILE_ID = (("connectionInstance", "H", "s >> 16 & 65535"),
            ("connectionCounter", "H", "s & 65535"))
_DISCOVERY = (("eventSecond", "I", "t"), ("filePosition", "I", "s"))
PATCH = {
    71: _CONN_ID + (("firstPacketTimestamp", "I", "t - 1"), ("lastPacketTimestamp", "I", "t"),
                    ("filePosition", "I", "s")),
    400: (("eventId", "I", "s"), ("eventSecond", "I", "t"), ("connectionTimestamp", "I", "t - 1")),
    110: (("eventId", "I", "p"), ("eventSecond", "I", "t")),
    2: (("eventId", "I", "p"), ("eventSecond", "I", "t"), ("packetSecond", "I", "t")),
    9: (("eventId", "I", "p"), ("eventSecond", "I", "t")),
    500: _FILE_ID + (("connectionTimestamp", "I", "t - 1"), ("fileEventTimestamp", "I", "t")),
    125: _FILE_ID + (("connectionEventTimestamp", "I", "t - 1"),
                     ("malwareEventTimestamp", "I", "t")),
    112: (("eventId", "I", "s"), ("correlationEventSecond", "I", "t"),
          ("triggerEventSecond", "I", "t")),
}
PATCH[502] = PATCH[500]

_U32 = struct.Struct(">I")
_RECORD_HEADER = struct.Struct(">II")
_ARCHIVED_HEADER = struct.Struct(">IIII")


def record_key(record) -> str:
    """The identity of an event record from its decoded fields (see the module docstring)."""
    t = record["recordType"]
    device = record.get("deviceId", 0)
    if t == 71:
        serial = record["instanceId"] * 65536 + record["connectionCounter"]
    elif t in (500, 502, 125):
        serial = record["connectionInstance"] * 65536 + record["connectionCounter"]
    elif t == 110:
        return f"110:{device}:{record['eventId']}:{record['type']}"
    elif t in (400, 112, 2, 9):
        serial = record["eventId"]
    else:
        serial = record["filePosition"]
    return f"{t}:{device}:{serial}"


def block_for(record_type: int, requested_version: int):
    for minimum, block in BLOCK_CHOICE.get(record_type, ()):
        if requested_version >= minimum:
            return block
    return None


def pattern_for(families) -> tuple:
    """The repeating record-type pattern: connection records between the other families'."""
    families = [f for f in FAMILIES if f in families]
    others = [f for f in families if f != "connection"]
    if not others:
        return ((71, 0, 0),) if families else ()
    pattern = []
    for family in others:
        if "connection" in families:
            pattern += [(71, 0, 0), (71, 0, 0)]
        pattern += FAMILY_SLOTS[family]
    return tuple(pattern)


class Template:
    """One pre-encoded event (inner Event Data header + record) and where to patch it."""

    __slots__ = ("data", "patch", "values", "refs")

    def __init__(self, data, patch, values, refs):
        self.data, self.patch, self.values, self.refs = data, patch, values, refs


def _find(base: bytes, other: bytes, size: int) -> list:
    """Offsets of the ``size``-byte fields that differ between two encodings."""
    diffs = [k for k in range(len(base)) if base[k] != other[k]]
    return [diffs[k] for k in range(0, len(diffs), size)]


def _compile(record_type, values, archived):
    """Encode once with the patched fields zeroed; find each patched field by re-encoding it
    all-ones (a field's offset depends on the strings before it, so per variant)."""
    spec = PATCH.get(record_type, _DISCOVERY)
    zeroed = dict(values)
    for name, _, _ in spec:
        zeroed[name] = 0
    base = encode_record(record_type, zeroed)[8:]
    found = []  # (offset, code, expression)
    for name, code, expr in spec:
        ones = dict(zeroed)
        ones[name] = (1 << (8 * struct.calcsize(code))) - 1
        other = encode_record(record_type, ones)[8:]
        for off in _find(base, other, struct.calcsize(code)):
            found.append((off, code, expr))
    head = 8 + (16 if archived else 8)
    if archived:
        found.append((-8, "I", "a"))  # the archive timestamp in the record header (t + skew)
        record = _ARCHIVED_HEADER.pack(record_type, len(base), 0, 0) + base
    else:
        record = _RECORD_HEADER.pack(record_type, len(base)) + base
    data = HEADER.pack(0, MessageType.EVENT_DATA, len(record)) + record
    found.sort()
    groups = []  # [offset, struct codes, expressions]; adjacent fields become one pack_into
    for off, code, expr in found:
        if groups and groups[-1][0] + struct.calcsize(">" + groups[-1][1]) == head + off:
            groups[-1][1] += code
            groups[-1][2].append(expr)
        else:
            groups.append([head + off, code, [expr]])
    # One generated function per variant: a call and a pack_into per group is all a record
    # costs on the hot path.
    scope, lines = {}, ["def patch(buf, off, s, p, t, a):"]
    for n, (at, codes, exprs) in enumerate(groups):
        scope[f"pack{n}"] = struct.Struct(">" + codes).pack_into
        lines.append(f"    pack{n}(buf, off + {at}, {', '.join(exprs)})")
    exec("\n".join(lines or ["    pass"]), scope)  # noqa: S102
    return data, scope["patch"]


class Archive:
    """The FMC's archive: ``records`` events of ``families`` plus the optional live stream."""

    def __init__(self, records=1000, families=FAMILIES, per_second=5, start_time=START_TIME,
                 live_rate=0.0, pool=POOL, faults=(), skew=0):
        unknown = set(families) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown families {sorted(unknown)}; choose from {FAMILIES}")
        self.records, self.per_second = records, max(1, per_second)
        self.start_time, self.live_rate, self.pool = start_time, live_rate, pool
        self.skew = int(skew)
        self.families = tuple(f for f in FAMILIES if f in families)
        self.pattern = pattern_for(self.families)
        self.live_epoch = int(time.time())
        self._templates = {}
        self._meta_values = world.metadata_records()
        self._metadata = {}
        # record faults (fmcsim.faults), by entry index: a hostile record before the entry, or
        # the entry stamped in the future
        self.poison = {f.at - 1 for f in faults if f.kind == "poison"}
        self.future = {f.at - 1: self.live_epoch + int(f.seconds) for f in faults
                       if f.kind == "future"}

    # --- positions ----------------------------------------------------------------------------
    def event_time(self, i: int) -> int:
        """The second entry ``i`` happened: what its content says, the same on every FMC."""
        if i in self.future:
            return self.future[i]
        if i < self.records:
            return self.start_time + i // self.per_second
        return self.live_epoch + int((i - self.records) // self.live_rate)

    def timestamp(self, i: int) -> int:
        """Entry ``i``'s archive timestamp: its event time on this FMC's clock."""
        return self.event_time(i) + self.skew

    def available(self, now=None) -> int:
        """Entries that exist by ``now``: the archive, plus the live records generated so far."""
        if not self.live_rate:
            return self.records
        now = time.time() if now is None else now
        return self.records + max(0, int((now - self.live_epoch) * self.live_rate))

    def first_index(self, since: int, now=None) -> int:
        """Since semantics: 0 = the whole archive; 0xFFFFFFFF = only records generated after
        the request; T = every record whose archive timestamp is >= T (inclusive)."""
        if since == GENESIS:
            return 0
        if since == NOW:
            return self.available(now)
        since -= self.skew  # the request is on this FMC's clock
        index = max(0, since - self.start_time) * self.per_second
        if index < self.records:
            return index
        if not self.live_rate:
            return self.records
        return self.records + int(max(0, since - self.live_epoch) * self.live_rate)

    def entry(self, i: int):
        """``(record type, extra-data type, variant, serial, parent serial, archive ts)``."""
        length = len(self.pattern)
        record_type, delta, sub = self.pattern[i % length]
        return (record_type, sub, (i // length) % self.pool, i + 1, i + 1 - delta,
                self.timestamp(i))

    def key(self, i: int) -> str:
        record_type, sub, j, serial, parent, _ = self.entry(i)
        device = world.device_of(j)
        if record_type == 110:
            return f"110:{device}:{parent}:{sub}"
        return f"{record_type}:{device}:{parent if record_type in (2, 9) else serial}"

    def write_manifest(self, path: str):
        with open(path, "w") as out:
            for i in range(self.records):
                record_type = self.pattern[i % len(self.pattern)][0]
                out.write(json.dumps({"seq": i + 1, "archive": self.timestamp(i),
                                      "type": record_type, "key": self.key(i)}) + "\n")

    # --- bytes --------------------------------------------------------------------------------
    def template(self, record_type, sub, j, block, archived) -> Template:
        key = (record_type, sub, j, block, archived)
        template = self._templates.get(key)
        if template is None:
            values, refs = world.event_values(record_type, j, block, sub)
            data, patch = _compile(record_type, values, archived)
            template = self._templates[key] = Template(data, patch, values, tuple(refs))
        return template

    def metadata(self, key) -> bytes:
        """A metadata record as an inner Event Data message (8-byte record header: metadata
        never carries an archive timestamp)."""
        data = self._metadata.get(key)
        if data is None:
            record = encode_record(key[0], self._meta_values[key])
            data = self._metadata[key] = HEADER.pack(0, MessageType.EVENT_DATA,
                                                     len(record)) + record
        return data


class Stream:
    """One session's view of the archive: what the client asked for, from where, and which
    metadata it has already been sent."""

    def __init__(self, archive: Archive, since: int, flags: int, events):
        self.archive = archive
        requested = {code: version for version, code in events}
        self.metadata = EventCode.METADATA in requested or bool(flags & RequestFlags.METADATA)
        self.archived = bool(flags & RequestFlags.ARCHIVE_TIMESTAMPS)
        self.wanted, self.blocks = set(), {}
        for record_type, _, _ in archive.pattern:
            code = CODE_OF.get(record_type, EventCode.DISCOVERY)
            if code not in requested:
                continue
            if record_type in NEEDS_FLAG and not flags & NEEDS_FLAG[record_type]:
                continue
            self.wanted.add(record_type)
            self.blocks[record_type] = block_for(record_type, requested[code])
        self.next = archive.first_index(since)
        self.sent_metadata = set()
        # pattern position × pool variant → (bytes, patcher, companion distance), False for
        # unwanted types, None until first use
        self._cycle = [None] * (len(archive.pattern) * archive.pool)
        self.families = sorted({RECORDS[t].family for t in self.wanted})

    def pending(self) -> bool:
        return self.next < self.archive.available()

    def fill(self, buf: bytearray, max_bytes: int, max_events: int) -> int:
        """Append inner messages (metadata first where needed, then events) to ``buf`` until it
        holds ``max_bytes``, ``max_events`` events were added or nothing more is available.
        Returns the number of events added."""
        archive = self.archive
        records, per_second, start = archive.records, archive.per_second, archive.start_time
        skew = archive.skew
        end = archive.available()
        cycle, size = self._cycle, len(self._cycle)
        faulty = bool(archive.poison or archive.future)
        i, added = self.next, 0
        while i < end and added < max_events and len(buf) < max_bytes:
            if faulty and i in archive.poison:
                self._poison(i, buf)
            slot = cycle[i % size]
            if slot is None:
                slot = self._slot(i, buf)
            if slot is False:  # a record type the client did not ask for
                i += 1
                continue
            data, patch, delta = slot
            off = len(buf)
            buf += data
            t = start + i // per_second if i < records else archive.event_time(i)
            if faulty and i in archive.future:
                t = archive.future[i]
            patch(buf, off, i + 1, i + 1 - delta, t, t + skew)
            added += 1
            i += 1
        self.next = i
        return added

    def _poison(self, i: int, buf: bytearray):
        record = poison_record(self.archive.timestamp(i) if self.archived else None)
        buf += HEADER.pack(0, MessageType.EVENT_DATA, len(record)) + record

    def _slot(self, i: int, buf: bytearray):
        """Resolve one position of the pattern × pool cycle; its metadata goes out now, i.e.
        right before the first event that uses it."""
        archive = self.archive
        record_type, delta, sub = archive.pattern[i % len(archive.pattern)]
        if record_type not in self.wanted:
            slot = False
        else:
            j = (i // len(archive.pattern)) % archive.pool
            tpl = archive.template(record_type, sub, j, self.blocks[record_type], self.archived)
            if self.metadata:
                for ref in tpl.refs:
                    if ref not in self.sent_metadata:
                        self.sent_metadata.add(ref)
                        buf += archive.metadata(ref)
            slot = (tpl.data, tpl.patch, delta)
        self._cycle[i % len(self._cycle)] = slot
        return slot


def record_bodies(subscription, records: int, families=FAMILIES, per_second=5) -> list:
    """The record bodies a client subscribed with ``subscription`` receives from an archive of
    ``records`` events (metadata before first use), in order, without a network: for tests
    and benchmarks that decode what the simulator sends."""
    stream = Stream(Archive(records=records, families=families, per_second=per_second), GENESIS,
                    int(subscription.flags), subscription.events)
    buf = bytearray()
    while stream.pending():
        stream.fill(buf, 1 << 40, 1 << 40)
    return [bytes(buf[off + 8:off + 8 + length]) for off, _, _, length in iter_frames(buf)]

