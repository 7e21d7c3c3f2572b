"""File events (500) and file malware events (502) → CIM Malware for 502 (design §2.3).

eStreamer's source/destination are the connection's initiator/responder; CIM's ``dest`` is the
system the file reached. So ``src``/``dest`` follow the transfer: a download (or an unknown
direction) goes from the responder to the initiator, an upload the other way (FMC's "Sending
IP"/"Receiving IP").
"""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, constants, hex_digest, ip, ip_version,
                     ordered, protocol_fields, text, uuid)
from .tables import (ARCHIVE_FILE_STATUSES, DIRECTIONS, DISPOSITIONS, FILE_ACTIONS,
                     MALWARE_ANALYSIS_STATUSES, UPLOAD)

RECORD_TYPES = (500, 502)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event); file_path is
# the URI when there is one.
FREE_TEXT = ("file_path", "uri")
FIELDS = HEAD_FIELDS + (
    "event_second", "src", "src_port", "dest", "dest_port", "initiator_ip", "initiator_port",
    "responder_ip", "responder_port", "direction_id", "direction", "ip_version", "protocol_id",
    "ip_proto", "transport", "action", "file_action_id", "file_action", "category", "severity",
    "disposition_id", "disposition", "spero_disposition", "signature", "threat_name",
    "file_name", "file_hash", "file_size", "file_type", "file_type_id", "threat_score",
    "file_storage_status", "file_sandbox_status", "malware_analysis_status",
    "archive_file_status", "archive_sha", "archive_name", "archive_depth", "user_id", "user",
    "app", "app_proto_id", "app_proto", "client_app", "client_app_id", "web_app", "web_app_id",
    "file_policy", "connection_id", "first_packet_time", "instance_id", "connection_counter",
    "src_country", "dest_country", "ssl_actual_action", "ssl_actual_action_id",
    "ssl_flow_status", "ssl_flow_status_id", "ssl_cert_fingerprint", "http_response",
    "ingress_vrf", "egress_vrf",
) + CONSTANT_FIELDS + FREE_TEXT


def event_time(r):
    return float(r["fileEventTimestamp"] or r["connectionTimestamp"]
                 or r.get("archiveTimestamp") or 0)


def orient(e: dict, initiator, responder, initiator_port, responder_port, direction):
    """``src``/``dest`` (and ports) = sender/receiver of the file (design T7)."""
    if direction == UPLOAD:
        e["src"], e["dest"] = initiator, responder
        e["src_port"], e["dest_port"] = initiator_port, responder_port
    else:
        e["src"], e["dest"] = responder, initiator
        e["src_port"], e["dest_port"] = responder_port, initiator_port


def disposition_fields(e: dict, disposition_id):
    label, category, severity = DISPOSITIONS.get(disposition_id, DISPOSITIONS[0])
    e["disposition_id"], e["disposition"] = disposition_id, text(label)
    return category, severity


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    e["event_second"] = r["fileEventTimestamp"] or None
    initiator, responder = ip(r["sourceIpAddress"]), ip(r["destinationIpAddress"])
    initiator_port, responder_port = r["sourcePort"], r["destinationPort"]
    direction = r["direction"]
    orient(e, initiator, responder, initiator_port, responder_port, direction)
    e["initiator_ip"], e["responder_ip"] = initiator, responder
    e["initiator_port"], e["responder_port"] = initiator_port, responder_port
    if direction:
        e["direction_id"], e["direction"] = direction, DIRECTIONS.get(direction)
    e["ip_version"] = ip_version(initiator, responder)
    if r["protocol"]:
        protocol_fields(e, r["protocol"])

    action_id = r["action"]
    file_action, action = FILE_ACTIONS.get(action_id, (f"file-action-{action_id}", "allowed"))
    e["action"], e["file_action_id"], e["file_action"] = action, action_id, text(file_action)
    e["category"], e["severity"] = disposition_fields(e, r["disposition"])
    # Spero's own vocabulary, named by the FMC (metadata 517), e.g. "Spero detection not
    # performed on file"
    e["spero_disposition"] = ctx.label_of("spero-disposition", "fileSperoDispositions",
                                          r["speroDisposition"])

    file_hash = e["file_hash"] = hex_digest(r["shaHash"])
    # FMC names known SHA-256s in metadata 511; the block's own "signature" is the SHA text.
    e["threat_name"] = ctx.name("fileShas", file_hash) if file_hash else None
    e["signature"] = e["threat_name"] or file_hash
    e["file_name"] = text(r["fileName"])
    e["uri"] = text(r["uri"])
    e["file_path"] = e["uri"] or e["file_name"]  # no file-system path exists for a transfer
    e["file_size"] = r["fileSize"] or None
    e["file_type"] = ctx.label_of("file-type", "fileTypes", r["fileTypeId"])
    e["file_type_id"] = r["fileTypeId"] or None
    e["threat_score"] = r["threatScore"] or None
    e["file_storage_status"] = ctx.label_of("file-storage", "fileStorages",
                                            r["fileStorageStatus"])
    e["file_sandbox_status"] = ctx.label_of("file-sandbox", "fileSandboxes",
                                            r["fileAnalysisStatus"])
    status = r["localMalwareAnalysisStatus"]
    e["malware_analysis_status"] = MALWARE_ANALYSIS_STATUSES.get(status) or (
        f"malware-analysis-{status}" if status else None)
    archive_status = r["archiveFileStatus"]
    if archive_status:
        e["archive_file_status"] = ctx.name("archiveFileStatuses", archive_status) or \
            ARCHIVE_FILE_STATUSES.get(archive_status, f"archive-status-{archive_status}")
    archive_fields(r, e)
    user_id = r["userId"]
    if user_id:
        e["user_id"], e["user"] = user_id, ctx.user(user_id)
    ctx.applications(r, e)
    if "ip_proto" in e or "app_proto" in e:
        e["app"] = (e.get("app_proto") or e["ip_proto"]).lower()
    e["file_policy"] = ctx.label_of("policy", "policies", uuid(r["accessControlPolicyUuid"]))
    ctx.connection_context(e, r["deviceId"], r["connectionInstance"], r["connectionCounter"],
                           r["connectionTimestamp"])
    e["src_country"] = ctx.country(r["sourceCountry"])
    e["dest_country"] = ctx.country(r["destinationCountry"])
    ctx.ssl(r, e)
    e["http_response"] = r["httpResponse"] or None
    e["ingress_vrf"] = text(r.get("ingressVRF"))
    e["egress_vrf"] = text(r.get("egressVRF"))
    constants(e)
    return event_time(r), ordered(FIELDS, e)


def archive_fields(r, e: dict):
    e["archive_sha"] = hex_digest(text(r["archiveSha"]))
    e["archive_name"] = text(r["archiveName"])
    e["archive_depth"] = r["archiveDepth"] or None
