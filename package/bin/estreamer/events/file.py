"""File events (500) and file malware events (502) → CIM Malware for 502, as a table.

eStreamer's source/destination are the connection's initiator/responder; CIM's ``dest`` is the
system the file reached. So ``src``/``dest`` follow the transfer: a download (or an unknown
direction) goes from the responder to the initiator, an upload the other way (FMC's "Sending
IP"/"Receiving IP").
"""
from __future__ import annotations

from .common import Context
from .common import text as text_value
from .profile import FALSY, FLOAT, INT, TEXT, Profile, call, formula, key, label, let, lookup
from .rows import (
    app_proto,
    applications,
    connection_context,
    constants,
    head,
    ip_version,
    protocol,
    ssl_context,
)
from .tables import (
    ARCHIVE_FILE_STATUSES,
    DIRECTIONS,
    DISPOSITIONS,
    FILE_ACTIONS,
    MALWARE_ANALYSIS_STATUSES,
    UPLOAD,
)
from .values import hex_digest, ip, text, uuid

RECORD_TYPES = (500, 502)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event); file_path is
# the URI when there is one.
FREE_TEXT = ("file_path", "uri")


def sender(initiator, responder, direction):
    """The sender of the file: the initiator of an upload, else the responder"""
    return initiator if direction == UPLOAD else responder


def receiver(initiator, responder, direction):
    """The receiver of the file: the responder of an upload, else the initiator"""
    return responder if direction == UPLOAD else initiator


def orientation(initiator, responder, initiator_port, responder_port, direction):
    """Rows ``src``, ``src_port``, ``dest``, ``dest_port`` following the transfer."""
    return (
        key("src", call(sender, initiator, responder, direction, type_=TEXT)),
        key("src_port", call(sender, initiator_port, responder_port, direction, type_=INT)),
        key("dest", call(receiver, initiator, responder, direction, type_=TEXT)),
        key("dest_port", call(receiver, initiator_port, responder_port, direction, type_=INT)),
    )


def disposition(disposition_id):
    """The disposition's row of the file disposition table (N/A for an unknown one)"""
    return DISPOSITIONS.get(disposition_id, DISPOSITIONS[0])


def file_action(action_id):
    """The file action's row of the file action table"""
    return FILE_ACTIONS.get(action_id, (f"file-action-{action_id}", "allowed"))


def threat_name(ctx: Context, file_hash):
    """The FMC's name of a known SHA-256 (metadata 511)"""
    return ctx.name("fileShas", file_hash) if file_hash else None


def analysis_status(status):
    """The local malware analysis status (eNcore's names)"""
    return MALWARE_ANALYSIS_STATUSES.get(status) or (
        f"malware-analysis-{status}" if status else None)


def archive_status(ctx: Context, status):
    """The archive file status: the FMC's name (metadata 518), else eNcore's"""
    if not status:
        return None
    return ctx.name("archiveFileStatuses", status) or \
        ARCHIVE_FILE_STATUSES.get(status, f"archive-status-{status}")


def application(protocol, app_id, app_proto, ip_proto):
    """The application's name lower-cased, else the IP protocol's"""
    if not (protocol or app_id):
        return None
    if app_proto:
        return app_proto.lower()
    if not protocol:
        raise KeyError("ip_proto")  # an application the FMC has not named, over no protocol
    return ip_proto.lower()


def archive():
    """``archive_sha``, ``archive_name``, ``archive_depth`` (file and malware events)."""
    return (
        key("archive_sha", hex_digest(text("archiveSha"))),
        key("archive_name", text("archiveName")),
        key("archive_depth", "archiveDepth", omit=FALSY),
    )


def event_time(file_second, connection_second, archive_timestamp):
    """The file event's time, else its connection's, else the archive timestamp"""
    return float(file_second or connection_second or archive_timestamp or 0)


PROFILE = Profile("file", RECORD_TYPES, head() + (
    key("event_second", "fileEventTimestamp", omit=FALSY),
    let("_initiator", ip("sourceIpAddress")),
    let("_responder", ip("destinationIpAddress")),
) + orientation("$_initiator", "$_responder", "sourcePort", "destinationPort", "direction") + (
    key("initiator_ip", "$_initiator"),
    key("initiator_port", "sourcePort"),
    key("responder_ip", "$_responder"),
    key("responder_port", "destinationPort"),
    key("direction_id", "direction", omit=FALSY),
    key("direction", lookup(DIRECTIONS, "direction", type_=TEXT), when="direction"),
    key("ip_version", ip_version("$_initiator", "$_responder")),
) + protocol("protocol", when="protocol") + (
    let("_file_action", call(file_action, "action", memo=True)),
    key("action", formula("{0}[1]", "$_file_action", type_=TEXT)),
    key("file_action_id", "action"),
    key("file_action", call(text_value, formula("{0}[0]", "$_file_action"), type_=TEXT)),
    let("_disposition", call(disposition, "disposition", memo=True)),
    key("category", formula("{0}[1]", "$_disposition", type_=TEXT)),
    key("severity", formula("{0}[2]", "$_disposition", type_=TEXT)),
    key("disposition_id", "disposition"),
    key("disposition", call(text_value, formula("{0}[0]", "$_disposition"), type_=TEXT)),
    # Spero's own vocabulary, named by the FMC (metadata 517), e.g. "Spero detection not
    # performed on file"
    key("spero_disposition", label("spero-disposition", "fileSperoDispositions",
                                   "speroDisposition")),
    let("_file_hash", hex_digest("shaHash")),
    # FMC names known SHA-256s in metadata 511; the block's own "signature" is the SHA text.
    let("_threat_name", call(threat_name, "$_file_hash", context=True, type_=TEXT, memo=True)),
    key("signature", formula("{0} or {1}", "$_threat_name", "$_file_hash", type_=TEXT)),
    key("threat_name", "$_threat_name"),
    key("file_name", text("fileName")),
    key("file_hash", "$_file_hash"),
    key("file_size", "fileSize", omit=FALSY),
    key("file_type", label("file-type", "fileTypes", "fileTypeId")),
    key("file_type_id", "fileTypeId", omit=FALSY),
    key("threat_score", "threatScore", omit=FALSY),
    key("file_storage_status", label("file-storage", "fileStorages", "fileStorageStatus")),
    key("file_sandbox_status", label("file-sandbox", "fileSandboxes", "fileAnalysisStatus")),
    key("malware_analysis_status", call(analysis_status, "localMalwareAnalysisStatus",
                                        type_=TEXT, memo=True)),
    key("archive_file_status", call(archive_status, "archiveFileStatus", context=True,
                                    type_=TEXT, memo=True)),
) + archive() + (
    key("user_id", "userId", omit=FALSY),
    key("user", label("user", "users", "userId"), when="userId"),
    app_proto(),
    key("app", call(application, "protocol", "?applicationId", "$_app_proto", "$ip_proto",
                    type_=TEXT, memo=True)),
) + applications() + (
    key("file_policy", label("policy", "policies", uuid("accessControlPolicyUuid"))),
) + connection_context("deviceId", "connectionInstance", "connectionCounter",
                       "connectionTimestamp") + (
    key("src_country", label("country", "geolocations", "sourceCountry")),
    key("dest_country", label("country", "geolocations", "destinationCountry")),
) + ssl_context() + (
    key("http_response", "httpResponse", omit=FALSY),
    key("ingress_vrf", text("?ingressVRF")),
    key("egress_vrf", text("?egressVRF")),
) + constants() + (
    # no file-system path exists for a transfer: the URI, else the file name
    let("_uri", text("uri")),
    key("file_path", formula("{0} or {1}", "$_uri", "$file_name", type_=TEXT)),
    key("uri", "$_uri"),
), time=call(event_time, "fileEventTimestamp", "connectionTimestamp", "?archiveTimestamp",
             type_=FLOAT))

FIELDS = PROFILE.keys
