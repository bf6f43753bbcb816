"""Passwords for the dashboard: PBKDF2-SHA256 hashes as stored in the settings file, their check, and
`stationctl dashboard-password`, which makes one.

A hash reads `pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>`; the password itself is never stored.
"""

import argparse
import base64
import getpass
import hashlib
import hmac
import os
import sys

ITERATIONS = 200000
PREFIX = "pbkdf2_sha256"


def make_hash(password, iterations=ITERATIONS, salt=None):
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return PREFIX + "$" + str(iterations) + "$" + salt.hex() + "$" + digest.hex()


def well_formed(stored):
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1].isdigit():
        return False
    try:
        bytes.fromhex(parts[2])
        return len(bytes.fromhex(parts[3])) == 32
    except ValueError:
        return False


def verify(password, stored):
    if not well_formed(stored):
        return False
    _, iterations, salt, digest = stored.split("$")
    mine = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(mine.hex(), digest)


def check_basic_auth(header, stored, cache):
    """True when an `Authorization: Basic ...` header carries the password (any user name). `cache` keeps the
    last header that passed, so the page's requests do not each cost a full PBKDF2 run."""
    if not header or not header.startswith("Basic "):
        return False
    if cache.get("ok") == header:
        return True
    try:
        user_pass = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    ok = verify(user_pass.split(":", 1)[1] if ":" in user_pass else user_pass, stored)
    if ok:
        cache["ok"] = header
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(prog="stationctl dashboard-password", description="Make the password hash "
                                     "for the dashboard's settings (dashboard.password_hash); the password is read "
                                     "from the terminal, or from standard input with --stdin.")
    parser.add_argument("--stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("dashboard password: ")
        if getpass.getpass("again: ") != password:
            sys.stderr.write("stationctl dashboard-password: the two passwords differ\n")
            return 2
    if len(password) < 8:
        sys.stderr.write("stationctl dashboard-password: use at least 8 characters\n")
        return 2
    print(make_hash(password))
    return 0
