"""Security profiles and the Basic-auth key (Security Whitepaper ed. 3 §2, A01, A05; TC_073, TC_083/084, X-SEC-01/02/05).

SecurityProfile may only be raised over ChangeConfiguration (equal or lower: Rejected), and only when what the new
profile needs is there: an AuthorizationKey for 1 and 2, a CentralSystemRootCertificate for 2 and 3, a
ChargePointCertificate for 3. The AuthorizationKey is 32-40 hex digits (16-20 bytes), write-only, sent hex-decoded
in the Basic header.

A new profile, key or client certificate is *tried*: the station reconnects with it, and when TRIAL_ATTEMPTS
connection attempts in a row fail, it falls back to the previous profile and credentials. The first connection
that succeeds makes the change final. The runtime asks `connection()` what to connect with before every attempt
and reports each failed attempt as a {"type": "connect_failed"} event.

The key, the profile and the trial live in the security store (controller/secret_store.py), never in config.json.
The settings file's `security_profile` and `authorization_key` provision a new station; afterwards the store wins
(the profile is the higher of the two: a settings file cannot lower it).
"""

from controller import config
from controller.feature import Feature
from controller.secret_store import SecretStore

STATE = "state.json"
KEY = "authorization_key"
OLD_KEY = "authorization_key.previous"
TRIAL_ATTEMPTS = 3
HEX = "0123456789abcdefABCDEF"


def valid_hex_key(text):
    if not 32 <= len(text) <= 40 or len(text) % 2:
        return False
    for ch in text:
        if ch not in HEX:
            return False
    return True


class SecurityProfile(Feature):
    NAME = "security"

    def __init__(self, station):
        Feature.__init__(self, station)
        self.secrets = SecretStore(station.store)
        self.state = self.secrets.load_doc(STATE, {})
        options = station.options
        self.profile = max(self.state.get("profile", 0), options.get("security_profile", 0))
        key = self.secrets.text(KEY) or ""
        provisioned = options.get("authorization_key")
        if not key and provisioned and self.secrets.write(KEY, provisioned):
            key = provisioned
        self.KEYS = (
            config.Key("AuthorizationKey", config.STR, key, access="W", check=valid_hex_key, max_len=40,
                       persist=False, saver=self._save_key),
            config.Key("SecurityProfile", config.INT, self.profile, minimum=0, maximum=3, persist=False,
                       check=self._may_become, saver=self._save_profile),
            config.Key("CpoName", config.STR, "", max_len=64),
        )

    def start(self, now):
        registry = self.st.config
        legacy = registry.take_saved("AuthorizationKey")     # older versions kept it in config.json
        if isinstance(legacy, str) and valid_hex_key(legacy) and not registry.get("AuthorizationKey"):
            if self.secrets.write(KEY, legacy):
                registry.preset("AuthorizationKey", legacy)
        registry.on_change("AuthorizationKey", self._key_changed)
        registry.on_change("SecurityProfile", self._profile_changed)
        registry.on_change("CpoName", lambda value: self._reconfigured("CpoName changed"))

    # ---- what the runtime connects with ------------------------------------------------------------------------
    def connection(self):
        """{"profile", "key" (bytes or None), "roots" (PEM texts from the certificate store), "client" (None,
        "provisioned" for the settings file's certificate, or (certificate name, key name) in the security
        store)}."""
        certs = self.st.feature.get("certificates")
        client = None
        if self.profile == 3:
            client = certs.client() if certs is not None else None
            if client is None and self.st.options.get("tls_client"):
                client = "provisioned"
        return {"profile": self.profile, "key": self.authorization_key() if self.profile in (1, 2) else None,
                "roots": certs.roots() if certs is not None else [], "client": client}

    def authorization_key(self):
        """The Basic-auth password as bytes, or None when none is set."""
        text = self.st.config.get("AuthorizationKey")
        if not text:
            return None
        return bytes([int(text[i:i + 2], 16) for i in range(0, len(text), 2)])

    def in_trial(self):
        return "trial" in self.state

    # ---- ChangeConfiguration ----------------------------------------------------------------------------------
    def _has_root(self):
        certs = self.st.feature.get("certificates")
        return bool(self.st.options.get("tls_root")) or (certs is not None and certs.has_root())

    def _has_client(self):
        certs = self.st.feature.get("certificates")
        return bool(self.st.options.get("tls_client")) or (certs is not None and certs.client() is not None)

    def _may_become(self, value):
        why = None
        if value <= self.profile:
            why = "a security profile may only be raised (now " + str(self.profile) + ")"
        elif value in (1, 2) and not self.st.config.get("AuthorizationKey"):
            why = "profile " + str(value) + " needs an AuthorizationKey"
        elif value >= 2 and not self._has_root():
            why = "profile " + str(value) + " needs a CentralSystemRootCertificate"
        elif value == 3 and not self._has_client():
            why = "profile 3 needs a ChargePointCertificate"
        if why is not None:
            self.st.log.warning("SecurityProfile " + str(value) + " refused: " + why)
        return why is None

    def _begin_trial(self, what):
        trial = self.state.get("trial")
        if trial is None:
            trial = {"profile": self.profile, "key": False, "cert": False}
        trial["failures"] = 0
        if what is not None:
            trial[what] = True
        return trial

    def _save_profile(self, value):
        state = {"profile": value, "trial": self._begin_trial(None)}
        if not self.secrets.save_doc(STATE, state):
            return False
        self.state = state
        self.profile = value
        return True

    def _save_key(self, text):
        old = self.st.config.get("AuthorizationKey")
        state = self.state
        if old and self.profile in (1, 2) and not state.get("trial", {}).get("key"):
            # the key in use is kept until the new one has worked once
            if not self.secrets.write(OLD_KEY, old):
                return False
            state = {"profile": self.profile, "trial": self._begin_trial("key")}
            if not self.secrets.save_doc(STATE, state):
                return False
            self.state = state
        return self.secrets.write(KEY, text)

    def _key_changed(self, value):
        self._reconfigured("AuthorizationKey changed")
        if self.profile in (1, 2):
            self.st.log.info("AuthorizationKey changed; reconnecting with the new key")
            self.st.after_reply(lambda now: self.st.emit(("reconnect", "AuthorizationKey changed")))

    def _profile_changed(self, value):
        self._reconfigured("SecurityProfile changed to " + str(value))
        self.st.log.info("SecurityProfile raised to " + str(value) + "; reconnecting with it")
        self.st.after_reply(lambda now: self.st.emit(("reconnect", "SecurityProfile changed")))

    def client_certificate_changed(self):
        """The certificates feature switched to a new ChargePointCertificate: try it (profile 3 only)."""
        if self.profile != 3:
            return False
        state = {"profile": self.profile, "trial": self._begin_trial("cert")}
        self.secrets.save_doc(STATE, state)
        self.state = state
        self.st.after_reply(lambda now: self.st.emit(("reconnect", "new ChargePointCertificate")))
        return True

    def _reconfigured(self, text):
        self.st.security_event("ReconfigurationOfSecurityParameters", text)

    # ---- trying and falling back --------------------------------------------------------------------------------
    def on_connected(self, now):
        trial = self.state.get("trial")
        if trial is None:
            return
        if trial.get("key"):
            self.secrets.remove(OLD_KEY)
        certs = self.st.feature.get("certificates")
        if trial.get("cert") and certs is not None:
            certs.trial_commit()
        self.state = {"profile": self.profile}
        self.secrets.save_doc(STATE, self.state)
        self.st.log.info("security profile " + str(self.profile) + " works; the change is final")

    def on_event(self, event, now):
        if event.get("type") != "connect_failed" or "trial" not in self.state:
            return
        trial = self.state["trial"]
        trial["failures"] = trial.get("failures", 0) + 1
        if trial["failures"] < TRIAL_ATTEMPTS:
            self.secrets.save_doc(STATE, self.state)
            return
        registry = self.st.config
        previous = trial["profile"]
        if trial.get("key"):
            old = self.secrets.text(OLD_KEY)
            if old and self.secrets.write(KEY, old):
                registry.preset("AuthorizationKey", old)
            self.secrets.remove(OLD_KEY)
        certs = self.st.feature.get("certificates")
        if trial.get("cert") and certs is not None:
            certs.trial_revert()
        self.st.log.warning("could not connect " + str(TRIAL_ATTEMPTS) + " times with the new security settings; "
                            "falling back to security profile " + str(previous) + " and the previous credentials")
        self.profile = previous
        registry.preset("SecurityProfile", previous)
        self.state = {"profile": previous}
        self.secrets.save_doc(STATE, self.state)
        self.st.security_event("ReconfigurationOfSecurityParameters", "fell back to security profile " +
                               str(previous), now)
