"""``python -m estreamer``: the library's own command line."""
from __future__ import annotations

import argparse
import json
import sys

from . import wire
from .decoder import RecordDecoder
from .layout import ParseError


def to_json(record) -> str:
    return json.dumps(record.as_dict(), ensure_ascii=False, separators=(",", ":"))


def decode_files(paths, out=None, err=None) -> int:
    """Every record in files of whole eStreamer messages, as JSON lines in wire order."""
    out, err = out or sys.stdout, err or sys.stderr
    decoder, status, index = RecordDecoder(), 0, 0
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            print(f"{path}: cannot read: {exc.strerror}", file=err)
            status = 1
            continue
        parser = wire.FrameParser()
        try:
            messages = parser.feed(data)
        except wire.ProtocolError as exc:
            print(f"{path}: {exc}", file=err)
            status = 1
            continue
        if parser.pending:
            print(f"{path}: {parser.pending} bytes at the end do not make a whole message",
                  file=err)
        for message in messages:
            if message.type == wire.MessageType.MESSAGE_BUNDLE:
                bundle = wire.split_bundle(message.body)
                bodies = bundle.records
                if bundle.error:
                    print(f"{path}: {bundle.error}", file=err)
            elif message.type == wire.MessageType.EVENT_DATA:
                bodies = [message.body]
            else:
                continue
            for body in bodies:
                index += 1
                try:
                    out.write(to_json(decoder.decode(body)) + "\n")
                except ParseError as exc:
                    print(f"{path}: record {index}: {exc}", file=err)
    return status


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m estreamer",
                                     description="Cisco Firepower eStreamer client")
    commands = parser.add_subparsers(dest="command", required=True)
    decode = commands.add_parser("decode", help="decode files of eStreamer messages to JSON lines")
    decode.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        if args.command == "decode":
            return decode_files(args.files)
    except BrokenPipeError:  # the reader went away (| head): not an error of ours
        sys.stderr.close()
        return 0
    return 2
