"""Index time, as Splunk's "Getting Data In" manual describes it, for the add-on's props.conf:
line breaking (``SHOULD_LINEMERGE = false``, ``LINE_BREAKER``), timestamp extraction
(``TIME_PREFIX``, ``MAX_TIMESTAMP_LOOKAHEAD``, ``TIME_FORMAT``), index-time ``TRANSFORMS-``
classes, and ``[source::…]`` patterns (props.conf.spec)."""
from __future__ import annotations

import datetime
import re

from .extraction import pcre


def source_pattern(stanza):
    """props.conf [source::...] wildcards as a regex: '...' crosses directories, '*' does not."""
    pattern = stanza[len("source::"):]
    regex = "".join(".*" if part == "..." else "[^/]*" if part == "*" else re.escape(part)
                    for part in re.split(r"(\.\.\.|\*)", pattern))
    return re.compile(regex + r"\Z")


def splunk_strptime(text, fmt):
    """The two TIME_FORMATs used here, as Splunk reads them: %s.%6N (epoch, microseconds) and
    %Y-%m-%d %H:%M:%S,%3N."""
    if fmt == "%s.%6N":
        match = re.match(r"(\d{9,10})\.(\d{1,6})", text)
        assert match, "no epoch.subseconds at {!r}".format(text)
        return int(match.group(1)) + int(match.group(2).ljust(6, "0")) / 1e6
    if fmt == "%Y-%m-%d %H:%M:%S,%3N":
        return datetime.datetime.strptime(text[:23], "%Y-%m-%d %H:%M:%S,%f")
    raise AssertionError("TIME_FORMAT {!r} is not one this test can read".format(fmt))


def extract_time(props_stanza, raw):
    """Splunk's timestamp extraction: TIME_PREFIX regex, then MAX_TIMESTAMP_LOOKAHEAD characters,
    then TIME_FORMAT."""
    match = pcre(props_stanza["TIME_PREFIX"]).search(raw)
    assert match, "TIME_PREFIX {!r} does not match {!r}".format(props_stanza["TIME_PREFIX"], raw[:80])
    window = raw[match.end():match.end() + int(props_stanza["MAX_TIMESTAMP_LOOKAHEAD"])]
    return splunk_strptime(window, props_stanza["TIME_FORMAT"])


def split_events(props_stanza, stream):
    """Splunk's line breaking with SHOULD_LINEMERGE = false: each LINE_BREAKER match ends an event at
    the start of its first capture group, the group's text is discarded, and the line end that
    closes the stream is not part of the last event."""
    breaker = pcre(props_stanza["LINE_BREAKER"])
    events, start = [], 0
    for match in breaker.finditer(stream):
        events.append(stream[start:match.start(1)])
        start = match.end(1)
    events.append(stream[start:].rstrip("\r\n"))
    return [event for event in events if event]


def index_time(props_stanza, transforms, raw, host, sourcetype):
    """What Splunk indexes for one line: TIME_PREFIX/TIME_FORMAT, then the stanza's TRANSFORMS-
    classes in order, each transform reading the _raw left by the previous one."""
    event = {"_raw": raw, "host": host, "sourcetype": sourcetype, "_time": None}
    if pcre(props_stanza["TIME_PREFIX"]).search(raw):
        event["_time"] = extract_time(props_stanza, raw)
    for key in sorted(k for k in props_stanza if k.startswith("TRANSFORMS-")):
        for name in (n.strip() for n in props_stanza[key].split(",")):
            transform = transforms[name]
            match = pcre(transform["REGEX"]).search(event["_raw"])
            if not match:
                continue
            value = re.sub(r"\$(\d)", lambda m, found=match: found.group(int(m.group(1))),
                           transform["FORMAT"])
            if transform["DEST_KEY"] == "_raw":
                event["_raw"] = value
            else:
                meta, _, value = value.partition("::")
                assert transform["DEST_KEY"] == "MetaData:" + meta.capitalize(), name
                event[meta] = value
    return event
