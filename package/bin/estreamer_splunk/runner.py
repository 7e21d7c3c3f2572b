"""One modular-input process: configuration in, the eStreamer client running, events out.

splunkd starts one process per input and restarts it if it dies, so this never exits while
healthy. SIGTERM (splunkd stopping or the input being disabled) flushes the events in hand,
saves the bookmark and returns well within splunkd's grace period.

Every way out but SIGTERM is non-zero (splunkd restarts the input) and leaves its reason twice:
an ERROR line in the input's own log and one final health event with ``last_error``. Whatever
escapes is caught once, around everything, and logged with its traceback (secrets masked).
This module wires the parts together; each part is its own module (params, settings,
bookmarks, health, device_filter, xml_stream, logs).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import IO, Any, List, Optional

from estreamer.bookmark import BookmarkUnreadable
from estreamer.client import ClientConfig, FatalError, Standby, StreamClient
from estreamer.events import Event, EventMapper
from estreamer.generations import FileGenerationStore
from estreamer.journal import IdentityJournal
from estreamer.metadata import MetadataCache

from .app import checkpoint_file
from .bookmarks import KVStoreBookmarkStore, KVStoreUnavailable, SessionExpired
from .device_filter import DeviceFilter
from .health import SOURCETYPE as HEALTH
from .health import Counters, FinalReport, Health
from .logs import SecretMaskFilter, mask_filter, setup_logging
from .settings import InputConfig, Settings, input_configs, load_settings
from .xml_stream import SplunkEventSink

log = logging.getLogger("estreamer_splunk")


def client_config(settings: Settings) -> ClientConfig:
    """The client's configuration from the input's parameters and its FMC server stanza."""
    fmc, advanced, params = settings.fmc, settings.advanced, settings.params
    standby = None
    if fmc.standby_host:
        standby = Standby(host=fmc.standby_host, port=fmc.standby_port,
                          pkcs12=fmc.standby_pkcs12, password=fmc.standby_pkcs12_password,
                          server_cert_sha256=fmc.standby_server_cert_sha256)
    return ClientConfig(
        host=fmc.host, port=fmc.port, pkcs12=fmc.pkcs12, password=fmc.pkcs12_password,
        verify=fmc.verify_server_cert, server_cert_sha256=fmc.server_cert_sha256,
        connect_timeout=fmc.connect_timeout, response_timeout=fmc.response_timeout,
        subscription=params.subscription(), start=params.start,
        flush_interval=advanced.flush_interval, batch_size=advanced.batch_size,
        future_tolerance=advanced.future_tolerance, generation=fmc.generation,
        standby=standby, failover_after=fmc.failover_after,
        failover_margin=fmc.failover_margin)


def run_inputs(definition: Any) -> None:
    """Every stanza of splunkd's ``InputDefinition`` in turn (splunkd starts one process per
    input, ``use_single_instance = false``); an input that stops on its own is an error."""
    for config in input_configs(definition):
        if run_input(config) != 0:
            raise RuntimeError("input {} stopped; see its log, {}".format(
                config.name, "ta_firepower_estreamer_{}.log".format(config.name)))


def run_input(config: InputConfig, out: Optional[IO[Any]] = None) -> int:
    """Run one input until SIGTERM. Returns the exit code: 0 after SIGTERM, 1 after anything
    else (see the module docstring)."""
    out = out if out is not None else sys.stdout
    stop = threading.Event()  # first thing: splunkd may stop the input while it starts
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = setup_logging(config.name)
    masks = mask_filter(handler) or SecretMaskFilter()
    sink = SplunkEventSink(None, out, index=config.params.get("index") or "default",
                           source=config.stanza)

    def send(events: List[Event]) -> None:
        for event in events:
            sink.write_event(event)
        sink.flush()
    fmc = (config.params.get("fmc_server") or "").strip()
    report = FinalReport(send, config.name, fmc, fmc or config.server_host, masks.mask)
    try:
        return _run(config, sink, stop, masks, report)
    except Exception as e:  # noqa: BLE001 - the one catch-all: splunkd restarts the input
        log.exception("input %s stopped by an unexpected error (%s); splunkd restarts it",
                      config.name, type(e).__name__)
        report(f"unexpected error: {type(e).__name__}: {e}")
        return 1
    finally:
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - splunkd closed the pipe: nothing left to tell it
            log.warning("input %s: closing the event stream failed", config.name, exc_info=True)


def _run(config: InputConfig, sink: SplunkEventSink, stop: threading.Event,
         masks: SecretMaskFilter, report: FinalReport) -> int:
    def fatal(what: str, error: Exception) -> int:
        log.error("input %s %s: %s", config.name, what, error)
        report(str(error))
        return 1

    try:
        settings = load_settings(config)
    except ValueError as e:
        return fatal("cannot start", e)
    fmc, params = settings.fmc, settings.params
    for secret in (fmc.pkcs12_password, fmc.pkcs12, fmc.standby_pkcs12_password,
                   fmc.standby_pkcs12):
        if secret:
            masks.add(secret)
    logging.getLogger().setLevel(settings.loglevel)
    report.fmc, report.host = fmc.name, fmc.host

    cache_path = checkpoint_file(config.checkpoint_dir, config.name, "metadata.json")
    cache = _load_cache(cache_path, settings.advanced.metadata_cache_size)
    mapper = sink.mapper = EventMapper(cache, fmc.host, params.mapper_options())
    filtered: Any = sink
    if params.device_allow or params.device_deny:
        filtered = DeviceFilter(sink, cache, params.device_allow, params.device_deny)
    health: Health  # reports the KV store wait; made once the client exists
    bookmarks = KVStoreBookmarkStore.for_input(
        config, logger=log, wait=settings.advanced.kvstore_wait, stop=stop,
        on_wait=lambda text: health.report_now(text))
    generations = FileGenerationStore(
        checkpoint_file(config.checkpoint_dir, config.name, "generation.json"))
    client_settings = client_config(settings)
    journal = IdentityJournal(checkpoint_file(config.checkpoint_dir, config.name, "journal"),
                              client_settings.journal_window)
    client = StreamClient(client_settings, filtered, bookmarks, cache, generations=generations,
                          journal=journal)

    def counters(now: float) -> Counters:
        # what was written, not what the client handed over (metadata, filtered devices)
        return Counters(
            events=sum(n for sourcetype, n in sink.counts.items() if sourcetype != HEALTH),
            mapping_errors=mapper.errors, devices=sink.devices,
            lag=sink.take_interval()["lag"])

    def send(events: List[Event]) -> None:
        for event in events:
            sink.write_event(event)
        # the client's flush journals the identities of the events in the sink before they
        # leave it (estreamer.journal); the sink's own flush then sends the health events
        client.flush()
        sink.flush()

    health = Health(client.stats, counters, send, lambda device: cache.name("devices", device),
                    settings.advanced.health_interval, fmc.name, config.name, fmc.host)
    report.health = health

    def tick() -> None:
        health()
        bookmarks.keep_alive()  # an idle session key must not age out while the FMC is quiet
    client.tick = tick

    log.info("input %s starting: FMC %s (%s:%s%s), families %s, bookmark in %s", config.name,
             fmc.name, fmc.host, fmc.port,
             ", standby {}:{}, failover after {:g} s".format(
                 fmc.standby_host, fmc.standby_port, fmc.failover_after)
             if fmc.standby_host else "", "|".join(params.families), bookmarks.backend)
    try:
        client.run(stop)
    except (FatalError, SessionExpired) as e:
        return fatal("stopped", e)
    except BookmarkUnreadable as e:
        return fatal("cannot read its bookmark", e)
    except KVStoreUnavailable as e:
        if stop.is_set():
            log.info("input %s stopped while waiting for the KV store", config.name)
            return 0
        return fatal("cannot start", e)
    finally:
        try:
            bookmarks.close()
        finally:
            cache.save(cache_path)
            log.info("input %s stopped: %d events delivered, bookmark %s", config.name,
                     sink.events, client.stats.bookmark)
    return 0


def _load_cache(path: str, size: int) -> MetadataCache:
    """The persisted metadata cache; an unreadable one is moved aside (named in a warning) and
    the input starts with an empty cache: names fill in as the FMC sends them."""
    try:
        return MetadataCache.load(path, size, strict=True)
    except ValueError as e:
        aside = f"{path}.unreadable"
        try:
            os.replace(path, aside)
        except OSError as moved:
            aside = f"nowhere ({moved.strerror})"
        log.warning("metadata cache %s is unreadable (%s): moved aside to %s; starting with an "
                    "empty cache, names fill in as the FMC sends them", path, e, aside)
    return MetadataCache(size)


__all__ = ["client_config", "run_input", "run_inputs"]
