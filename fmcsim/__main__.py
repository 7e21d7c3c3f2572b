"""Command line: ``python -m fmcsim pki DIR`` and ``python -m fmcsim serve --pki DIR ...``."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from estreamer.wire import GENERATIONS

from . import pki
from .faults import parse as parse_fault
from .traffic import FAMILIES, START_TIME


def _families(text: str) -> tuple:
    if text == "all":
        return FAMILIES
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = set(names) - set(FAMILIES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown families {sorted(unknown)}; choose from "
                                         f"{','.join(FAMILIES)} or all")
    return names


def _fault(text: str) -> str:
    try:
        parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fmcsim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("pki", help="mint a CA, a server certificate and client PKCS12 files")
    p.add_argument("directory")
    p.add_argument("--client-ip", default="127.0.0.1")
    p.add_argument("--password", default="estreamer")

    s = commands.add_parser("serve", help="run the eStreamer server on 127.0.0.1")
    s.add_argument("--pki", required=True, help="directory written by `pki`")
    s.add_argument("--port", type=int, default=0, help="0 = any free port")
    s.add_argument("--tls", choices=("1.2", "1.3", "any"), default="any")
    s.add_argument("--families", type=_families, default=FAMILIES,
                   help=f"comma-separated from {','.join(FAMILIES)}, or all")
    s.add_argument("--records", type=int, default=1000, help="event records in the archive")
    s.add_argument("--per-second", type=int, default=5, help="records per archive second")
    s.add_argument("--start-time", type=int, default=START_TIME,
                   help="archive timestamp of the first record")
    s.add_argument("--archive-skew", type=int, default=0, metavar="SECONDS",
                   help="shift every archive timestamp by SECONDS (may be negative); records, "
                        "order and content stay the same: two simulators with different skews "
                        "make an FMC HA pair")
    s.add_argument("--live", type=float, default=0.0, metavar="RATE",
                   help="after the archive, generate RATE new records per second")
    s.add_argument("--replay", metavar="CAPTURE_DIR",
                   help="send a capture's streaming-info.bin and bundle-*.bin byte for byte")
    s.add_argument("--fault", dest="faults", action="append", default=[], type=_fault,
                   help="drop@N, stall@N:SECONDS, garbage@N, error@N:CODE:TEXT, "
                        "bad-error@N:CODE:TEXT, restart@N, flood@N:COUNT, corrupt-bundle@N, "
                        "poison@N, future@N:SECONDS, refuse-cert, silent, close-after-request, "
                        "close-after-streaming-request (repeatable)")
    s.add_argument("--manifest", help="write the archive as JSON lines here")
    s.add_argument("--no-ip-check", dest="ip_check", action="store_false",
                   help="accept a client certificate issued for another IP")
    s.add_argument("--keepalive", type=float, default=2.0, help="seconds between idle Nulls")
    s.add_argument("--bundle-bytes", type=int, default=8192)
    s.add_argument("--window", type=int, default=8, help="unacknowledged messages allowed")
    s.add_argument("--max-generation", choices=GENERATIONS, default=None,
                   help="play an older FMC: refuse event versions newer than this generation's "
                        "right after the Streaming Request (default: accept every generation)")
    s.add_argument("--refusal", choices=("close", "error"), default="close",
                   help="how --max-generation refuses: close the connection (as FMCs do) or "
                        "answer an eStreamer Error message first")
    s.add_argument("--server-cert", default="server", choices=pki.SERVER_CERTIFICATES,
                   help="the certificate to present (all signed by the PKI's CA): the FMC's own, "
                        "a second one, an expired one, one not valid yet, one for clientAuth")
    args = parser.parse_args(argv)

    if args.command == "pki":
        minted = pki.mint(args.directory, args.client_ip, args.password)
        for path in minted.files():
            print(path)
        return 0

    from .server import Options, Simulator  # the library import is only needed to serve

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="fmcsim: %(message)s")
    options = Options(**{k: v for k, v in vars(args).items() if k != "command"})
    simulator = Simulator(options)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: simulator.stop())
    print(f"listening on 127.0.0.1:{simulator.port}", flush=True)
    simulator.serve_forever()
    logging.getLogger("fmcsim").info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
