"""The certificate index: which certificates the station holds, as one small document in the security store.

    {"next": 4,
     "certs": [{"type": "CentralSystemRootCertificate", "file": "cert1.pem", "hash": {...}, "fallback": true}],
     "client": {"cert": "cp2.pem", "key": "cp2.key", "not_after": epoch_ms},     # the ChargePointCertificate
     "trial": {...same shape...},                                               # a new one being tried
     "renew": {"attempts": 1, "at": epoch_ms}}                                  # the renewal's back-off

The PEM texts live in their own files beside it (controller/secret_store.py); the hash data is computed once, at
install time, so GetInstalledCertificateIds and DeleteCertificate need no crypto. Pure functions only.
"""

INDEX = "certificates.json"
CS_ROOT = "CentralSystemRootCertificate"
MF_ROOT = "ManufacturerRootCertificate"
HASH_FIELDS = ("issuerNameHash", "issuerKeyHash")


def empty():
    return {"next": 1, "certs": []}


def _serial(text):
    text = text.upper()
    at = 0
    while at < len(text) - 1 and text[at] == "0":
        at += 1
    return text[at:]


def same_hash(a, b):
    """CertificateHashData equality: hex compared without regard to case, serials without leading zeros."""
    if a.get("hashAlgorithm") != b.get("hashAlgorithm"):
        return False
    for field in HASH_FIELDS:
        if str(a.get(field, "")).lower() != str(b.get(field, "")).lower():
            return False
    return _serial(str(a.get("serialNumber", ""))) == _serial(str(b.get("serialNumber", "")))


def of_type(index, kind):
    return [e for e in index["certs"] if e["type"] == kind]


def find(index, hash_data, kind=None):
    for entry in index["certs"]:
        if (kind is None or entry["type"] == kind) and same_hash(entry["hash"], hash_data):
            return entry
    return None


def new_name(index, prefix, suffix=".pem"):
    """A file name not used before (the counter is saved with the index)."""
    n = index.get("next", 1)
    index["next"] = n + 1
    return prefix + str(n) + suffix


def validity_problem(info, wall_ms):
    """Why an inspected root certificate cannot be installed, or None."""
    if info is None:
        return "not a PEM X.509 certificate"
    if info["ca"] is not True:
        return "not a CA certificate"
    if wall_ms < info["not_before"]:
        return "not valid yet"
    if wall_ms > info["not_after"]:
        return "expired"
    return None
