"""The security store: the AuthorizationKey, private keys and certificates, in their own folder of the data folder.

Everything here goes through the storage port's `write_private` (folder 0700, files 0600 on CPython), under
`security/`, and nowhere else: not config.json, not the logs, not GetConfiguration. A diagnostics bundle must skip
the folder (`is_secret(name)` says which files to leave out).
"""

import json

from controller.storage import StorageError, load_doc

FOLDER = "security"


def is_secret(name):
    """True for a data-folder file that must never leave the station."""
    return name == FOLDER or name.startswith(FOLDER + "/")


class SecretStore:
    def __init__(self, storage):
        self.storage = storage

    def read(self, name):
        return self.storage.read(FOLDER + "/" + name)

    def write(self, name, data):
        """Store `data` (bytes or str); False when the storage failed (the old file is kept)."""
        if isinstance(data, str):
            data = data.encode()
        try:
            self.storage.write_private(FOLDER + "/" + name, data)
            return True
        except (OSError, StorageError):
            return False

    def remove(self, name):
        self.storage.remove(FOLDER + "/" + name)

    def text(self, name):
        raw = self.read(name)
        return None if raw is None else raw.decode()

    def load_doc(self, name, default):
        return load_doc(self.storage, FOLDER + "/" + name, default)

    def save_doc(self, name, doc):
        return self.write(name, json.dumps(doc))
