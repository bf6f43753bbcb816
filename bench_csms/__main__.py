"""Command line: run the bench CSMS stand-alone and print one line per OCPP frame.

    python -m bench_csms --host 127.0.0.1 --port 9000 [--boot Accepted|Pending|Rejected]
                         [--tls-cert server.pem --tls-key server.key [--client-ca ca.pem]]
                         [--basic-auth CPID:HEXKEY ...]
"""

import argparse
import asyncio
import logging
import sys

from .csms import BenchCSMS
from .tls import server_ssl_context


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench_csms",
        description="OCPP 1.6-J bench CSMS: accepts stations at ws[s]://HOST:PORT/ocpp/<chargePointId>, "
                    "validates every frame they send and prints one line per frame.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="TCP port, 0 for any free one (default 9000)")
    parser.add_argument("--boot", choices=["Accepted", "Pending", "Rejected"], default="Accepted",
                        help="status of every BootNotification answer (default Accepted)")
    parser.add_argument("--interval", type=int, default=300,
                        help="interval in BootNotification answers, in seconds (default 300)")
    parser.add_argument("--tls-cert", help="server certificate chain (PEM): serve wss:// (security profile 2/3)")
    parser.add_argument("--tls-key", help="server private key (PEM), if not in --tls-cert")
    parser.add_argument("--client-ca", help="CA (PEM) that signs client certificates: require one (profile 3)")
    parser.add_argument("--basic-auth", action="append", default=[], metavar="CPID:HEXKEY",
                        help="accept this charge point with HTTP Basic auth, password = the bytes of the hex "
                             "AuthorizationKey (profile 1/2); repeat for more stations")
    parser.add_argument("--lenient-subprotocol", action="store_true",
                        help="also accept clients that do not offer the ocpp1.6 subprotocol")
    args = parser.parse_args(argv)
    if (args.tls_key or args.client_ca) and not args.tls_cert:
        parser.error("--tls-key and --client-ca need --tls-cert")
    args.passwords = {}
    for item in args.basic_auth:
        cp_id, sep, hex_key = item.rpartition(":")
        try:
            args.passwords[cp_id] = bytes.fromhex(hex_key)
        except ValueError:
            sep = ""
        if not sep or not cp_id:
            parser.error("--basic-auth expects CPID:HEXKEY, got %r" % item)
    return args


async def run(args):
    ssl_context = server_ssl_context(args.tls_cert, args.tls_key, args.client_ca) if args.tls_cert else None
    csms = BenchCSMS(args.host, args.port, ssl_context=ssl_context, basic_auth=args.passwords or None,
                     require_subprotocol=not args.lenient_subprotocol)
    csms.boot_default = (args.boot, args.interval)
    await csms.start()
    print("bench CSMS: connect stations to %s/<chargePointId>  (Ctrl-C to stop)" % csms.url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await csms.stop()
        print("bench CSMS: %d frames, %d violations" % (len(csms.ledger), len(csms.violations)), flush=True)
        for violation in csms.violations:
            print("  - " + violation, flush=True)


def main(argv=None):
    args = parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
    log = logging.getLogger("bench_csms")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
