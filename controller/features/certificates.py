"""Certificate management (Security Whitepaper ed. 3 M03-M05; TC_075_1/2, TC_076, TC_078, X-SEC-10..13).

    InstallCertificate          Rejected when the store is full (CertificateStoreMaxLength), when the text is no
                                CA certificate in force (and for a CentralSystemRootCertificate an
                                InvalidCentralSystemCertificate event, TC_078), or when AdditionalRootCertificate-
                                Check is on and the new CSMS root is not signed by the one it replaces; Failed when
                                the storage fails; else Accepted (installing the same certificate twice is a no-op)
    DeleteCertificate           Accepted, NotFound, or Failed for the last CentralSystemRootCertificate (the seeds'
                                AQ-1 "No"); the ChargePointCertificate is not in this store, so NotFound
    GetInstalledCertificateIds  Accepted with one CertificateHashData (SHA256) per certificate, or NotFound

CertificateStoreMaxLength (20) and AdditionalRootCertificateCheck (false) come from the board's "certificates"
block, {"store_max_length": N, "additional_root_check": true/false}; station options of the same meaning win.
With AdditionalRootCertificateCheck the replaced CSMS root stays as a fallback (still trusted) until the first
TLS connection succeeds, and is then removed (M05.FR.10-13).

X.509 work goes through the crypto port, the station option "crypto" (controller/runtime/crypto_cpython.py on
CPython). Without it nothing can be checked: InstallCertificate is Rejected; the rest works from the index.
Certificates, keys and the index live in the security store (controller/secret_store.py, cert_store.py).

For the security feature (features/security_profile.py): `roots(kind)`, `has_root()`, `client()`,
`trial_commit()`, `trial_revert()`. For signed firmware: `roots("ManufacturerRootCertificate")`. For the station's
own certificate (features/certificate_signing.py): `client_entry()`, `new_client(chain, key, not_after)`.
"""

from controller import cert_store as cs
from controller import config
from controller.feature import Feature
from controller.secret_store import FOLDER, SecretStore


def _status(status):
    return {"status": status}


class Certificates(Feature):
    NAME = "certificates"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.secrets = SecretStore(station.store)
        self.crypto = station.options.get("crypto")
        block = station.board.get("certificates") or {}
        options = station.options
        size = options.get("certificate_store_max", block.get("store_max_length", 20))
        check = options.get("additional_root_certificate_check", block.get("additional_root_check", False))
        self.KEYS = (
            config.Key("CertificateStoreMaxLength", config.INT, size, access="R", persist=False),
            config.Key("AdditionalRootCertificateCheck", config.BOOL, check is True, access="R", persist=False),
        )

    def actions(self):
        return {"InstallCertificate": self.install, "DeleteCertificate": self.delete,
                "GetInstalledCertificateIds": self.installed_ids}

    # ---- the index -------------------------------------------------------------------------------------------
    def index(self):
        """The index document, read when needed (not kept in memory: the heap is small)."""
        doc = self.secrets.load_doc(cs.INDEX, None)
        return doc if isinstance(doc, dict) and isinstance(doc.get("certs"), list) else cs.empty()

    def save(self, index):
        return self.secrets.save_doc(cs.INDEX, index)

    def _texts(self, entries):
        out = []
        for entry in entries:
            text = self.secrets.text(entry["file"])
            if text:
                out.append(text)
        return out

    # ---- for the security feature and signed firmware ---------------------------------------------------------
    def roots(self, kind=cs.CS_ROOT):
        """The PEM texts of the installed certificates of `kind` (CentralSystemRootCertificate or
        ManufacturerRootCertificate)."""
        return self._texts(cs.of_type(self.index(), kind))

    def has_root(self):
        return len(cs.of_type(self.index(), cs.CS_ROOT)) > 0

    def client(self):
        """(certificate file, key file) of the ChargePointCertificate to connect with, relative to the data
        folder, or None. While a new one is tried, the new one."""
        entry = self.client_entry()
        if entry is None:
            return None
        return (FOLDER + "/" + entry["cert"], FOLDER + "/" + entry["key"])

    def client_entry(self):
        """{"cert", "key", "not_after"} of the ChargePointCertificate in use (or being tried), or None."""
        index = self.index()
        return index.get("trial") or index.get("client")

    def new_client(self, chain_pem, key_pem, not_after):
        """Keep a new ChargePointCertificate (chain and key) and try it: at profile 3 the security feature
        reconnects with it and falls back when it fails; below 3 it is final at once. False when the store
        cannot be written."""
        index = self.index()
        stem = cs.new_name(index, "cp", "")
        entry = {"cert": stem + ".pem", "key": stem + ".key", "not_after": not_after}
        superseded = index.get("trial")
        index["trial"] = entry
        if not (self.secrets.write(entry["cert"], chain_pem) and self.secrets.write(entry["key"], key_pem)
                and self.save(index)):
            self._remove_files(entry)
            return False
        if superseded is not None:
            self._remove_files(superseded)
        security = self.st.feature.get("security")
        if security is None or not security.client_certificate_changed():
            self.trial_commit()
        return True

    def trial_commit(self):
        index = self.index()
        trial = index.pop("trial", None)
        if trial is None:
            return
        old = index.get("client")
        index["client"] = trial
        if self.save(index) and old is not None:
            self._remove_files(old)
        self.st.log.info("the new ChargePointCertificate works; it replaces the old one")

    def trial_revert(self):
        index = self.index()
        trial = index.pop("trial", None)
        if trial is not None and self.save(index):
            self._remove_files(trial)
            self.st.log.warning("the new ChargePointCertificate did not work; back to the previous one")

    def _remove_files(self, entry):
        self.secrets.remove(entry["cert"])
        self.secrets.remove(entry["key"])

    def on_connected(self, now):
        if self.st.feature["security"].profile < 2:
            return
        index = self.index()
        kept = [e for e in index["certs"] if e.get("fallback") is not True]
        if len(kept) == len(index["certs"]):
            return
        gone = [e for e in index["certs"] if e.get("fallback") is True]
        index["certs"] = kept
        if self.save(index):
            for entry in gone:
                self.secrets.remove(entry["file"])
            self.st.log.info("connected with the new CentralSystemRootCertificate; the fallback root is removed")

    # ---- InstallCertificate -----------------------------------------------------------------------------------
    def install(self, payload, now):
        kind, pem = payload["certificateType"], payload["certificate"]
        index = self.index()
        if len(index["certs"]) >= self.st.config.get("CertificateStoreMaxLength"):
            self.st.log.warning("InstallCertificate refused: the certificate store is full")
            return _status("Rejected")
        if self.crypto is None:
            self.st.log.warning("InstallCertificate refused: this build has no X.509 support")
            return _status("Rejected")
        info = self.crypto.inspect(pem, self._texts(index["certs"]))
        why = cs.validity_problem(info, self.st.clock.epoch_ms(now))
        if why is None and cs.find(index, info["hash"], kind) is not None:
            return _status("Accepted")
        replaced = []
        if why is None and kind == cs.CS_ROOT and self.st.config.get("AdditionalRootCertificateCheck"):
            replaced = [e for e in cs.of_type(index, kind) if e.get("fallback") is not True]
            if replaced and not self._signed_by_any(pem, replaced):
                why = "not signed by the installed CentralSystemRootCertificate (AdditionalRootCertificateCheck)"
        if why is not None:
            self.st.log.warning("InstallCertificate " + kind + " refused: " + why)
            if kind == cs.CS_ROOT:
                self.st.security_event("InvalidCentralSystemCertificate", "InstallCertificate: " + why, now)
            return _status("Rejected")
        return _status(self._add(index, kind, pem, info, replaced, now))

    def _signed_by_any(self, pem, entries):
        for text in self._texts(entries):
            if self.crypto.signed_by(pem, text):
                return True
        return False

    def _add(self, index, kind, pem, info, replaced, now):
        name = cs.new_name(index, "cert")
        if not self.secrets.write(name, pem):
            return "Failed"
        dropped = [e for e in index["certs"] if e.get("fallback") is True and e["type"] == kind] if replaced else []
        index["certs"] = [e for e in index["certs"] if e not in dropped]
        for entry in replaced:
            entry["fallback"] = True
        index["certs"].append({"type": kind, "file": name, "hash": info["hash"]})
        if not self.save(index):
            self.secrets.remove(name)
            return "Failed"
        for entry in dropped:
            self.secrets.remove(entry["file"])
        self.st.log.info("installed a " + kind + " (serial " + info["hash"]["serialNumber"] + ")")
        self.st.security_event("ReconfigurationOfSecurityParameters", "installed a " + kind, now)
        return "Accepted"

    # ---- DeleteCertificate, GetInstalledCertificateIds --------------------------------------------------------
    def delete(self, payload, now):
        index = self.index()
        entry = cs.find(index, payload["certificateHashData"])
        if entry is None:
            return _status("NotFound")
        if entry["type"] == cs.CS_ROOT and len(cs.of_type(index, cs.CS_ROOT)) == 1:
            self.st.log.warning("DeleteCertificate refused: the last CentralSystemRootCertificate stays")
            return _status("Failed")
        index["certs"] = [e for e in index["certs"] if e is not entry]
        if not self.save(index):
            return _status("Failed")
        self.secrets.remove(entry["file"])
        self.st.log.info("deleted a " + entry["type"] + " (serial " + entry["hash"]["serialNumber"] + ")")
        self.st.security_event("ReconfigurationOfSecurityParameters", "deleted a " + entry["type"], now)
        return _status("Accepted")

    def installed_ids(self, payload, now):
        found = cs.of_type(self.index(), payload["certificateType"])
        if not found:
            return _status("NotFound")
        return {"status": "Accepted", "certificateHashData": [e["hash"] for e in found]}
