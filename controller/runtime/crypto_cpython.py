"""The crypto port for CPython (the `cryptography` package): X.509 parsing, hash data, signatures, key pairs, CSRs.

The certificates feature (controller/features/certificates.py) never parses X.509 itself: the CPython runtime
injects a `CryptoPort` as the station option "crypto". Without it (MicroPython) the feature refuses what needs
crypto. Every method takes and returns plain values (PEM text, bytes, dicts, epoch ms), never library objects.

CertificateHashData follows Security Whitepaper ed. 3 (reference §3.1): SHA256 over the DER issuer name and over
the issuer's subjectPublicKey BIT STRING value, as lowercase hex; the serial as uppercase hex without leading zeros.
"""

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PEM_END = "-----END CERTIFICATE-----"


def _load(pem):
    if isinstance(pem, str):
        pem = pem.encode()
    return x509.load_pem_x509_certificate(pem)


def _ms(when):
    return int(when.timestamp() * 1000)


def _der_length(data, at):
    """(length, offset of the content) of the DER element whose length byte is at `at`."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count


def public_key_bits(public_key):
    """The subjectPublicKey BIT STRING's value (without the unused-bits byte) of a SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    _, at = _der_length(spki, 1)                 # inside the outer SEQUENCE
    length, content = _der_length(spki, at + 1)  # the AlgorithmIdentifier SEQUENCE: skip it
    at = content + length
    length, content = _der_length(spki, at + 1)  # the BIT STRING
    return spki[content + 1:content + length]


def _issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def _chain_problem(chain, anchors, wall_ms, anchor_name):
    for cert in chain:
        if not _ms(cert.not_valid_before_utc) <= wall_ms <= _ms(cert.not_valid_after_utc):
            return "outside its validity: " + cert.subject.rfc4514_string()[:60]
    for cert, issuer in zip(chain, chain[1:]):
        if not _issued_by(cert, issuer):
            return "the chain is broken at " + cert.subject.rfc4514_string()[:60]
    if not any(_issued_by(chain[-1], root) for root in anchors):
        return "it does not chain to an installed " + anchor_name
    return None


def _attribute(name, oid):
    found = name.get_attributes_for_oid(oid)
    return found[0].value if found else None


def split_chain(text):
    """The PEM certificates in `text`, in order."""
    out = []
    for part in text.split(PEM_END):
        start = part.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            out.append(part[start:] + PEM_END + "\n")
    return out


class CryptoPort:
    """What controller/features/certificates.py asks of X.509 and keys."""

    def inspect(self, pem, issuers=()):
        """A summary of the first certificate in `pem`, or None when it is not a PEM X.509 certificate:
        {"hash": CertificateHashData (SHA256), "ca", "self_signed", "not_before", "not_after" (epoch ms), "cn"}.
        The issuer key hash uses the certificate's own key when self-signed, else the key of the one of `issuers`
        (PEM texts) that signed it, else its own key (there is nothing better to hash)."""
        try:
            cert = _load(pem)
        except (ValueError, TypeError):
            return None
        issuer_key = cert.public_key()
        self_signed = _issued_by(cert, cert)
        if not self_signed:
            for text in issuers:
                try:
                    candidate = _load(text)
                except (ValueError, TypeError):
                    continue
                if _issued_by(cert, candidate):
                    issuer_key = candidate.public_key()
                    break
        try:
            ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            ca = False
        return {"hash": {"hashAlgorithm": "SHA256",
                         "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
                         "issuerKeyHash": hashlib.sha256(public_key_bits(issuer_key)).hexdigest(),
                         "serialNumber": "%X" % cert.serial_number},
                "ca": ca is True, "self_signed": self_signed, "not_before": _ms(cert.not_valid_before_utc),
                "not_after": _ms(cert.not_valid_after_utc), "cn": _attribute(cert.subject, NameOID.COMMON_NAME)}

    def signed_by(self, pem, issuer_pem):
        """True when the certificate `pem` was signed by the certificate `issuer_pem`."""
        try:
            return _issued_by(_load(pem), _load(issuer_pem))
        except (ValueError, TypeError):
            return False

    def new_csr(self, common_name, organization):
        """A new EC P-256 key pair and a PEM PKCS#10 request for it: (private key PEM bytes, CSR PEM text)."""
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return key_pem, csr.public_bytes(serialization.Encoding.PEM).decode()

    def check_signed(self, chain_pem, key_pem, roots, wall_ms, common_name, organization):
        """Check a CertificateSigned chain: (None, leaf summary) when it is good, else (reason, None). Good means:
        the leaf is for the pending key, within its validity, CN = `common_name` (and O = `organization` when
        given), each certificate signed by the next, the last one signed by one of `roots`, every CA in force."""
        try:
            chain = [_load(p) for p in split_chain(chain_pem)]
            key = serialization.load_pem_private_key(key_pem, None)
            anchors = [_load(r) for r in roots]
        except (ValueError, TypeError) as e:
            return "not a PEM certificate chain (" + str(e)[:60] + ")", None
        if not chain:
            return "no certificate in the chain", None
        leaf = chain[0]
        if public_key_bits(leaf.public_key()) != public_key_bits(key.public_key()):
            return "the certificate is not for the key of our request", None
        if _attribute(leaf.subject, NameOID.COMMON_NAME) != common_name:
            return "CN is not " + common_name, None
        if organization and _attribute(leaf.subject, NameOID.ORGANIZATION_NAME) != organization:
            return "O is not the CpoName " + organization, None
        problem = _chain_problem(chain, anchors, wall_ms, "CentralSystemRootCertificate")
        if problem is not None:
            return problem, None
        return None, self.inspect(leaf.public_bytes(serialization.Encoding.PEM))

    def check_chain(self, chain_pem, roots, wall_ms, anchor_name):
        """None when the PEM chain (a certificate, then the CAs that issued it) is in force at `wall_ms`, each
        certificate signed by the next and the last by one of `roots` (PEM texts, of type `anchor_name`); else the
        reason. SignedUpdateFirmware's signing certificate (features/signed_firmware.py)."""
        try:
            chain = [_load(p) for p in split_chain(chain_pem)]
            anchors = [_load(r) for r in roots]
        except (ValueError, TypeError) as e:
            return "not a PEM certificate chain (" + str(e)[:60] + ")"
        if not chain:
            return "no certificate in the chain"
        return _chain_problem(chain, anchors, wall_ms, anchor_name)
