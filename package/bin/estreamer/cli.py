"""``python -m estreamer``: the library's own command line.

    decode FILE...   records (or with --events the Splunk events) of captured messages
    test             the connection diagnostics, ending in a verdict
    stream           the live stream as JSON lines (records or events) or CEF lines (to a
                     file, stdout or syslog), with a monitor line on stderr
"""
from __future__ import annotations

import argparse
import datetime
import getpass
import json
import logging
import os
import signal
import socket
import sys
import threading
import time

from . import wire
from .decoder import RecordDecoder
from .generations import AUTO, CHOICES
from .layout import ParseError

PASSWORD_ENV = "ESTREAMER_PKCS12_PASSWORD"
STANDBY_PASSWORD_ENV = "ESTREAMER_STANDBY_PKCS12_PASSWORD"


def to_json(record) -> str:
    return json.dumps(record.as_dict(), ensure_ascii=False, separators=(",", ":"))


def _event_emitter(host):
    """record -> the event's JSON line (None if it makes no event); metadata names what follows."""
    from .events import EventMapper, event_json
    from .metadata import MetadataCache
    cache = MetadataCache()
    mapper = EventMapper(cache, host)

    def emit(record):
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
        event = mapper.map(record)
        return None if event is None else event_json(event.as_line())
    return emit


def decode_files(paths, out=None, err=None, events=False, host="fmc") -> int:
    """Every record in files of whole eStreamer messages, as JSON lines in wire order; with
    ``events`` the CIM events the add-on would index instead (metadata resolves names).
    Damage is reported once per place, at its byte offset in the file; everything else is
    still printed, and the exit status is 1."""
    out, err = out or sys.stdout, err or sys.stderr
    decoder, status = RecordDecoder(), 0
    emit = _event_emitter(host) if events else to_json
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=err)
            status = 1
            continue

        def damaged(offset, text):
            nonlocal status
            print(f"{path}: offset {offset}: {text}", file=err)  # noqa: B023 - this file's
            status = 1

        for offset, message_type, body, cut in _messages(data, damaged):
            if message_type == wire.MessageType.MESSAGE_BUNDLE:
                bundle = wire.split_bundle(body)
                if bundle.error and not cut:  # a cut bundle's last record is the cut itself
                    damaged(offset + 8 + len(body) - len(bundle.rest), bundle.error)
                records, start = bundle.bodies, offset + 16
            elif message_type == wire.MessageType.EVENT_DATA and not cut:
                records, start = [body], offset
            else:
                continue
            for record in records:
                try:
                    line = emit(decoder.decode(record))
                except ParseError as exc:
                    damaged(start + 8 + exc.offset, str(exc))
                    line = None
                if line is not None:
                    out.write(line + "\n")
                start += 8 + len(record)
    return status


def _messages(data: bytes, damaged):
    """``(file offset, type, body, cut)`` of each message; a cut last message comes with what
    the file has of its body, so the whole records before the cut are not lost."""
    end, size = 0, len(data)
    for offset, version, message_type, length in wire.iter_frames(data):
        if version != 1:
            damaged(offset, f"message header version {version} (expected 1): not eStreamer "
                            f"messages from here on")
            return
        body = data[offset + 8:offset + 8 + length]
        if len(body) < length:
            damaged(offset, f"message type {message_type} declares {length} bytes, the file has "
                            f"{len(body)}: cut short")
            yield offset, message_type, body, True
            return
        yield offset, message_type, body, False
        end = offset + 8 + length
    if end < size:
        damaged(end, f"{size - end} bytes at the end do not make a message header")


# --- live commands ---------------------------------------------------------------------------

def _password(args) -> str:
    if os.environ.get(PASSWORD_ENV) is not None:
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        return getpass.getpass("PKCS12 password (enter for none): ")
    return ""


def _subscription(args) -> wire.Subscription:
    families = tuple(f for f in args.families.split(",") if f) if args.families != "all" \
        else wire.ALL_FAMILIES
    return wire.Subscription(families=families, packets=args.packets, extra_data=args.extra_data)


def _since(text: str):
    if text in ("genesis", "now"):
        return text
    try:
        return int(text)
    except ValueError:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return int(moment.timestamp())


def _read_pkcs12(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _standby_identity(args, pkcs12: bytes, password: str):
    """The standby's (PKCS12, password): its own with --standby-pkcs12, else the primary's."""
    if not args.standby_pkcs12:
        return pkcs12, password
    return _read_pkcs12(args.standby_pkcs12), os.environ.get(STANDBY_PASSWORD_ENV, password)


def _label(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_test(args) -> int:
    from .diagnostics import diagnose
    pkcs12, password = _read_pkcs12(args.pkcs12), _password(args)
    fmcs = [("primary FMC", args.host, args.port, pkcs12, password, args.server_cert_sha256)]
    if args.standby:
        host, port = args.standby
        fmcs.append(("standby FMC", host, port or args.port,
                     *_standby_identity(args, pkcs12, password),
                     args.standby_server_cert_sha256))
    answered, failed = [], []
    for role, host, port, p12, secret, pin in fmcs:
        report = diagnose(host, port, p12, secret, verify=not args.no_verify,
                          timeout=args.timeout, subscription=_subscription(args),
                          records=args.records, wait=args.wait, server_cert_sha256=pin,
                          generation=args.generation)
        if args.standby:
            print(f"{role} {_label(host, port)}:")
        print(report.as_text())
        (answered if report.ok else failed).append(f"the {role} {_label(host, port)}")
    if args.standby:
        print("HA pair: " + "; ".join([f"{fmc} answered" for fmc in answered] +
                                      [f"{fmc} failed" for fmc in failed]))
    return 0 if not failed else 1


class Monitor(threading.Thread):
    """Prints one line every ``period`` seconds: records, rate, bookmark lag, troubles."""

    def __init__(self, client, period: float, err):
        super().__init__(daemon=True, name="monitor")
        self.client, self.period, self.err = client, period, err
        self.done = threading.Event()

    def run(self):
        last, last_time = 0, time.monotonic()
        while not self.done.wait(self.period):
            now = time.monotonic()
            print(self.line(last, now - last_time), file=self.err, flush=True)
            last, last_time = self.client.stats.delivered, now

    def line(self, previous: int, elapsed: float) -> str:
        s = self.client.stats
        rate = (s.delivered - previous) / elapsed if elapsed > 0 else 0.0
        if s.bookmark:
            mark = datetime.datetime.fromtimestamp(s.bookmark[0], datetime.timezone.utc)
            bookmark = f"bookmark {mark:%Y-%m-%dT%H:%M:%SZ}+{s.bookmark[1]} " \
                       f"(lag {max(time.time() - s.bookmark[0], 0):.0f} s)"
        else:
            bookmark = "bookmark none"
        serving = f" to {s.active_fmc}" if s.connected and s.active_fmc else ""
        return (f"monitor: {'connected' if s.connected else 'disconnected'}{serving}; "
                f"{s.delivered} records; {rate:.0f} records/s; {bookmark}; reconnects "
                f"{s.reconnects}; failovers {s.failovers}; "
                f"parse errors {s.parse_errors}; unknown types {s.unknown_types}; "
                f"unknown blocks {s.unknown_blocks}; future records {s.future_records}")


def run_stream(args) -> int:
    from .bookmark import FileBookmarkStore, MemoryBookmarkStore
    from .client import ClientConfig, FatalError, Standby, StreamClient
    from .journal import IdentityJournal
    from .metadata import MetadataCache
    from .syslog import DeliveryError

    pkcs12, password = _read_pkcs12(args.pkcs12), _password(args)
    standby = None
    if args.standby:
        host, port = args.standby
        own = _read_pkcs12(args.standby_pkcs12) if args.standby_pkcs12 else b""
        standby = Standby(host=host, port=port or args.port, pkcs12=own,
                          password=os.environ.get(STANDBY_PASSWORD_ENV, password) if own else "",
                          server_cert_sha256=args.standby_server_cert_sha256)
    config = ClientConfig(
        host=args.host, port=args.port, pkcs12=pkcs12, password=password,
        verify=not args.no_verify, server_cert_sha256=args.server_cert_sha256,
        connect_timeout=args.timeout, response_timeout=args.response_timeout,
        subscription=_subscription(args),
        start=_since(args.since), flush_interval=args.flush_interval, batch_size=args.batch_size,
        backoff_min=args.backoff, backoff_max=max(args.backoff, 60.0),
        future_tolerance=args.future_tolerance, generation=args.generation, standby=standby,
        failover_after=args.failover_after, failover_margin=args.failover_margin)
    cache = MetadataCache.load(args.cache) if args.cache and os.path.exists(args.cache) \
        else MetadataCache()
    stop, done = threading.Event(), threading.Event()
    out = None if args.syslog else _append(args.output) if args.output else sys.stdout
    try:
        sink, transport = _stream_sink(args, out, cache, stop)
    except OSError as e:
        print(f"error: syslog receiver {args.syslog}: {e.strerror or e}", file=sys.stderr)
        return 2
    store = FileBookmarkStore(args.bookmark) if args.bookmark else MemoryBookmarkStore()
    from .generations import FileGenerationStore, MemoryGenerationStore
    generations = FileGenerationStore(args.bookmark + ".generation") if args.bookmark \
        else MemoryGenerationStore()
    # the identity journal next to the bookmark (without one: in memory, for this run)
    journal = IdentityJournal(args.bookmark + ".journal", config.journal_window) \
        if args.bookmark else None
    client = StreamClient(config, sink, store, cache, generations=generations, journal=journal)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=_stop_in_time, args=(stop, done, args.duration), daemon=True,
                     name="deadline").start()
    monitor = Monitor(client, args.monitor, sys.stderr)
    if args.monitor > 0:
        monitor.start()
    try:
        client.run(stop)
    except FatalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except DeliveryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    finally:
        done.set()
        monitor.done.set()
        if args.cache:
            cache.save(args.cache)
        if out is not None and out is not sys.stdout:
            out.close()
        if transport is not None:
            transport.close()
    print(monitor.line(0, 0), file=sys.stderr)
    return 0


def _stream_sink(args, out, cache, stop):
    """The sink ``--format`` and ``--syslog`` ask for, and its syslog transport (None when the
    lines go to ``out``, the ``--output`` file or stdout)."""
    from .sinks import JsonLinesSink
    if args.format == "json":
        return JsonLinesSink(out), None
    from .events import EventMapper
    mapper = EventMapper(cache, args.host)
    if args.format == "events":
        return JsonLinesSink(out, mapper), None
    from .cef import CefFormatter
    formatter = CefFormatter(args.cef_names)
    if args.syslog is None:
        from .sinks import CefLinesSink
        return CefLinesSink(out, mapper, formatter), None
    from . import syslog
    from .sinks import SyslogSink
    target = args.syslog
    socket.getaddrinfo(target.host, target.port)  # an unknown host name fails here, not later
    transport = syslog.open_transport(target, stop)
    header = syslog.HEADERS[args.syslog_format]()
    return SyslogSink(transport, mapper, formatter, header, args.syslog_max_bytes), transport


def _output_options(parser, args):
    """``--format``, ``--events`` and the syslog options, checked together; defaults filled in."""
    from . import syslog
    if args.events:
        if args.format not in (None, "events"):
            parser.error(f"--events is --format events: it cannot go with --format {args.format}")
        args.format = "events"
    if args.syslog is not None:
        try:
            args.syslog = syslog.parse_target(args.syslog)
        except ValueError as e:
            parser.error(f"--syslog: {e}")
        if args.format not in (None, "cef"):
            parser.error(f"--syslog sends CEF lines: --format {args.format} writes to --output "
                         f"or stdout")
        if args.output:
            parser.error("--syslog and --output: choose one destination")
        args.format = "cef"
    else:
        for option, value in (("--syslog-format", args.syslog_format),
                              ("--syslog-max-bytes", args.syslog_max_bytes)):
            if value is not None:
                parser.error(f"{option} needs --syslog udp://HOST:PORT or tcp://HOST:PORT")
    args.format = args.format or "json"
    if args.cef_names is not None and args.format != "cef":
        parser.error(f"--cef-names applies to --format cef, not --format {args.format}")
    args.cef_names = args.cef_names or "standard"
    args.syslog_format = args.syslog_format or "rfc5424"
    size = args.syslog_max_bytes if args.syslog_max_bytes is not None else 8192
    largest = syslog.MAX_UDP_MESSAGE_BYTES if args.syslog and args.syslog.protocol == "udp" \
        else 1 << 20
    if not syslog.MIN_MESSAGE_BYTES <= size <= largest:
        parser.error(f"--syslog-max-bytes {size}: choose from {syslog.MIN_MESSAGE_BYTES} (what "
                     f"every syslog receiver accepts) to {largest}")
    args.syslog_max_bytes = size


STOP_GRACE = 5.0  # seconds a stopping stream gets to flush and save its bookmark


def _stop_in_time(stop, done, duration):
    """Sets ``stop`` after ``duration`` seconds (0: never); once stopped, ends the process if
    the stream has not finished within :data:`STOP_GRACE` (its output blocked, a name lookup
    hanging): a stop or a duration must hold whatever happened. The bookmark then stays where
    the last completed flush left it."""
    if duration:
        stop.wait(duration)
        stop.set()
    else:
        stop.wait()
    if not done.wait(STOP_GRACE):
        print(f"error: the stream did not stop within {STOP_GRACE:g} s; exiting without the last "
              f"flush (the bookmark covers what was written before)", file=sys.stderr, flush=True)
        os._exit(1)


def _append(path):
    """The output file, opened for appending at a line start: a run killed mid-write leaves a
    torn last line, which must not swallow the first record of the next run."""
    torn = False
    if os.path.exists(path) and os.path.getsize(path):
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            torn = f.read(1) != b"\n"
    out = open(path, "a", encoding="utf-8")
    if torn:
        out.write("\n")
    return out


def _fingerprint(text: str) -> str:
    from .pinning import normalize
    try:
        return normalize(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def _standby_address(text: str):
    from .address import parse_address
    try:
        return parse_address(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("the FMC host", "--standby")) from None


def _connection_args(command):
    command.add_argument("--host", required=True, help="the FMC's address")
    command.add_argument("--port", type=int, default=8302)
    command.add_argument("--pkcs12", required=True, metavar="FILE",
                         help=f"the client's PKCS12 from the FMC (password: ${PASSWORD_ENV} "
                              f"or a prompt)")
    command.add_argument("--no-verify", action="store_true",
                         help="do not verify the FMC's certificate (logs a warning)")
    command.add_argument("--server-cert-sha256", type=_fingerprint, default="",
                         metavar="FINGERPRINT",
                         help="accept only the FMC certificate with this SHA-256 fingerprint "
                              "(AB:CD:...; `test` shows the FMC's)")
    command.add_argument("--standby", type=_standby_address, metavar="HOST[:PORT]",
                         help="the standby FMC of an HA pair (host, host:port, [IPv6] or "
                              "[IPv6]:port; the port defaults to --port)")
    command.add_argument("--standby-pkcs12", metavar="FILE",
                         help=f"the standby's own PKCS12, if it issued one (password: "
                              f"${STANDBY_PASSWORD_ENV}, else the primary's)")
    command.add_argument("--standby-server-cert-sha256", type=_fingerprint, default="",
                         metavar="FINGERPRINT",
                         help="accept only the standby certificate with this fingerprint")
    command.add_argument("--timeout", type=float, default=10.0, help="connect timeout, seconds")
    command.add_argument("--families", default="all",
                         help="comma-separated: " + ",".join(wire.ALL_FAMILIES) + " (default all)")
    command.add_argument("--packets", action="store_true", help="also request intrusion packets")
    command.add_argument("--extra-data", action="store_true",
                         help="also request intrusion extra data")
    command.add_argument("--generation", choices=CHOICES, default=AUTO,
                         help="event versions to ask for: auto (the newest the FMC accepts, "
                              "remembered next to --bookmark) or an FMC generation "
                              "(default auto)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m estreamer",
                                     description="Cisco Firepower eStreamer client")
    commands = parser.add_subparsers(dest="command", required=True)
    decode = commands.add_parser("decode", help="decode files of eStreamer messages to JSON lines")
    decode.add_argument("files", nargs="+", metavar="FILE")
    decode.add_argument("--events", action="store_true", help="print the CIM events instead")
    test = commands.add_parser("test", help="check the connection to an FMC, step by step")
    _connection_args(test)
    test.add_argument("--records", type=int, default=10, help="records to wait for")
    test.add_argument("--wait", type=float, default=10.0, help="seconds to wait for them")
    stream = commands.add_parser(
        "stream", help="stream records or events as JSON lines, or CEF lines to a file or syslog")
    _connection_args(stream)
    stream.add_argument("--since", default="genesis",
                        help="without a bookmark: genesis, now, epoch seconds or an ISO time")
    stream.add_argument("--bookmark", metavar="FILE", help="resume from and keep a bookmark here")
    stream.add_argument("--cache", metavar="FILE", help="keep the metadata cache here")
    stream.add_argument("--output", metavar="FILE", help="append to FILE instead of stdout")
    stream.add_argument("--format", choices=("json", "events", "cef"),
                        help="json: the decoded records (default); events: the CIM events "
                             "Splunk gets; cef: ArcSight CEF lines (default with --syslog)")
    stream.add_argument("--events", action="store_true", help="the same as --format events")
    stream.add_argument("--cef-names", choices=("standard", "encore"),
                        help="CEF key names: the CEF standard's (default), or eNcore's (its "
                             "names, signature ids and key order)")
    stream.add_argument("--syslog", metavar="URL",
                        help="send CEF lines to a syslog receiver: udp://HOST:PORT or "
                             "tcp://HOST:PORT (octet-counted framing)")
    stream.add_argument("--syslog-format", choices=("rfc5424", "rfc3164"),
                        help="syslog header: rfc5424 (default) or rfc3164, eNcore's")
    stream.add_argument("--syslog-max-bytes", type=int, metavar="BYTES",
                        help="the largest syslog message (default 8192): longer values are "
                             "cut, marked [truncated]")
    stream.add_argument("--monitor", type=float, default=10.0, help="monitor period, 0 = off")
    stream.add_argument("--duration", type=float, default=0, help="stop after this many seconds")
    stream.add_argument("--response-timeout", type=float, default=30.0)
    stream.add_argument("--flush-interval", type=float, default=1.0)
    stream.add_argument("--batch-size", type=int, default=500)
    stream.add_argument("--backoff", type=float, default=1.0, help="first reconnect delay")
    stream.add_argument("--failover-after", type=_seconds, default=60.0, metavar="SECONDS",
                        help="with --standby: fail over once the primary has not answered for "
                             "this long (and at least one reconnect after a full backoff)")
    stream.add_argument("--failover-margin", type=_seconds, default=300.0, metavar="SECONDS",
                        help="with --standby: on the other FMC, resume this long before the "
                             "bookmark and drop what was written by event identity; more than "
                             "the lag between the two FMCs' archive clocks")
    stream.add_argument("--future-tolerance", type=float, default=86400.0, metavar="SECONDS",
                        help="records stamped later than now + SECONDS are delivered but never "
                             "move the bookmark (default 86400)")
    args = parser.parse_args(argv)
    if args.command == "stream":
        _output_options(stream, args)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "decode":
            return decode_files(args.files, events=args.events)
        if args.command == "test":
            return run_test(args)
        return run_stream(args)
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
