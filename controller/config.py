"""The configuration registry: every OCPP key, typed, with access rules, bounds and atomic persistence.

Features declare their keys with `Key(...)`; the station registers them here. Values are held typed (bool, int,
str, list of str for comma-separated lists) and are written to one JSON document on every accepted change.
"""

from controller import storage

DOC = "config.json"

BOOL = "bool"
INT = "int"
STR = "str"
CSL = "csl"

ACCEPTED = "Accepted"
REJECTED = "Rejected"
REBOOT_REQUIRED = "RebootRequired"
NOT_SUPPORTED = "NotSupported"


class Key:
    """One configuration key.

    access: "R" read-only, "RW" read-write, "W" write-only (never disclosed).
    check(value) -> bool: an extra rule for a parsed value (e.g. every item is a supported measurand).
    max_items_key: for a CSL, the name of the `<Key>MaxLength` key that bounds its length.
    persist: False for values derived from the board that must not be stored.
    saver(value) -> bool: stores the value somewhere else than config.json (secrets go to the security store);
    a False answer refuses the change.
    """

    # Defaults as class attributes: an instance stores only what differs, which keeps ~45 keys small on a board.
    access = "RW"
    minimum = None
    maximum = None
    reboot = False
    check = None
    max_items_key = None
    max_len = 500
    persist = True
    saver = None

    def __init__(self, name, kind, default, access="RW", minimum=None, maximum=None, reboot=False,
                 check=None, max_items_key=None, max_len=500, persist=True, saver=None):
        self.name = name
        self.kind = kind
        self.default = default
        if access != "RW":
            self.access = access
        if minimum is not None:
            self.minimum = minimum
        if maximum is not None:
            self.maximum = maximum
        if reboot is not False:
            self.reboot = reboot
        if check is not None:
            self.check = check
        if max_items_key is not None:
            self.max_items_key = max_items_key
        if max_len != 500:
            self.max_len = max_len
        if persist is not True:
            self.persist = persist
        if saver is not None:
            self.saver = saver


def to_text(kind, value):
    if kind == BOOL:
        return "true" if value else "false"
    if kind == CSL:
        return ",".join(value)
    return str(value)


def parse(kind, text):
    """The typed value of `text`, or raise ValueError."""
    if kind == BOOL:
        low = text.strip().lower()
        if low == "true":
            return True
        if low == "false":
            return False
        raise ValueError("expected true or false")
    if kind == INT:
        t = text.strip()
        digits = t[1:] if t[:1] in ("-", "+") else t
        if not digits or not digits.isdigit():
            raise ValueError("expected an integer")
        return int(t)
    if kind == CSL:
        t = text.strip()
        if not t:
            return []
        items = [p.strip() for p in t.split(",")]
        for item in items:
            if not item:
                raise ValueError("empty item in list")
        return items
    return text


class Registry:
    def __init__(self, store):
        self.store = store
        self.keys = {}        # canonical name -> Key (find() also matches other cases)
        self.order = []       # keys in registration order, for GetConfiguration
        self.values = {}      # canonical name -> typed value
        self.listeners = {}   # canonical name -> [fn(value)]
        self._saved = storage.load_doc(store, DOC, {})
        self.unsaved = False  # a value set from inside the station that the storage refused: written by flush()

    def add(self, key):
        if self.find(key.name) is not None:
            return
        self.keys[key.name] = key
        self.order.append(key)
        value = key.default
        if key.persist and key.name in self._saved:
            try:
                stored = self._saved[key.name]
                candidate = parse(key.kind, stored) if isinstance(stored, str) else stored
                if self._problem(key, candidate) is None:
                    value = candidate
            except (ValueError, TypeError):
                pass
        self.values[key.name] = value

    def add_all(self, keys):
        for key in keys:
            self.add(key)

    def find(self, name):
        """The Key named `name` in any case (OCPP key names are case-insensitive), or None."""
        if not isinstance(name, str):
            return None
        key = self.keys.get(name)
        if key is None:
            # no lower-case copy of every name is kept (heap on a board): a differently cased name is looked for
            low = name.lower()
            for k in self.order:
                if k.name.lower() == low:
                    return k
        return key

    def _key(self, name):
        key = self.find(name)
        if key is None:
            raise KeyError(name)
        return key

    def get(self, name):
        return self.values[self._key(name).name]

    def on_change(self, name, fn):
        self.listeners.setdefault(self._key(name).name, []).append(fn)

    def _problem(self, key, value):
        if key.kind == INT:
            if key.minimum is not None and value < key.minimum:
                return "below minimum " + str(key.minimum)
            if key.maximum is not None and value > key.maximum:
                return "above maximum " + str(key.maximum)
        if key.kind == CSL and key.max_items_key:
            limit_key = self.find(key.max_items_key)
            if limit_key is not None and len(value) > self.values[limit_key.name]:
                return "more items than " + key.max_items_key
        if key.check is not None and not key.check(value):
            return "value not supported"
        return None

    def set_internal(self, name, value):
        """Set a value from inside the station (e.g. HeartbeatInterval from BootNotification.conf)."""
        self._store(self._key(name), value, True)

    def change(self, name, text):
        """ChangeConfiguration: returns (status, reason)."""
        key = self.find(name)
        if key is None:
            return NOT_SUPPORTED, "unknown key"
        if key.access == "R":
            return REJECTED, "read-only key"
        if len(text) > key.max_len:
            return REJECTED, "value too long"
        try:
            value = parse(key.kind, text)
        except ValueError as e:
            return REJECTED, str(e)
        problem = self._problem(key, value)
        if problem is not None:
            return REJECTED, problem
        if not self._store(key, value):
            return REJECTED, "could not be stored"
        return (REBOOT_REQUIRED if key.reboot else ACCEPTED), ""

    def _store(self, key, value, keep_unsaved=False):
        """Set and persist. When the storage fails: False, and the old value kept unless `keep_unsaved` (then the
        value holds, and `flush()` tries to write it again)."""
        old = self.values.get(key.name)
        if key.saver is not None:
            if not key.saver(value) and not keep_unsaved:
                return False
        elif key.persist:
            had = key.name in self._saved
            self._saved[key.name] = value
            saved = storage.try_save_doc(self.store, DOC, self._saved)
            if saved or keep_unsaved:
                self.unsaved = not saved
            if not saved and not keep_unsaved:
                if had:
                    self._saved[key.name] = old
                else:
                    del self._saved[key.name]
                return False
        self.values[key.name] = value
        if old != value:
            for fn in self.listeners.get(key.name, ()):
                fn(value)
        return True

    def preset(self, name, value):
        """Set a value the station already holds elsewhere (no write, no listeners): e.g. after a fall-back."""
        self.values[self._key(name).name] = value

    def take_saved(self, name):
        """Remove `name` from config.json and return what was stored there (None if nothing): for values that
        moved elsewhere (the AuthorizationKey moved to the security store)."""
        if name not in self._saved:
            return None
        value = self._saved.pop(name)
        storage.try_save_doc(self.store, DOC, self._saved)
        return value

    def flush(self):
        if self.unsaved:
            self.unsaved = not storage.try_save_doc(self.store, DOC, self._saved)

    def readable(self):
        """(key, text or None) for every key that GetConfiguration may disclose."""
        return [k for k in self.order if k.access != "W"]

    def describe(self, key):
        entry = {"key": key.name, "readonly": key.access == "R"}
        if key.access != "W":
            entry["value"] = to_text(key.kind, self.values[key.name])[:500]
        return entry
