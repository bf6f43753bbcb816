"""A charging transaction as the station knows it, and its durable form in the journal's "o" record."""


class Transaction:
    def __init__(self, ref, connector_id, id_tag, parent, meter_start, start_ms, remote=False):
        self.ref = ref                    # our local number; the CSMS's transactionId comes later (journal)
        self.connector_id = connector_id
        self.id_tag = id_tag
        self.parent = parent              # parentIdTag, for stopping with another tag of the same group
        self.meter_start = meter_start
        self.start_ms = start_ms          # epoch ms
        self.remote = remote
        self.deauthorized = False         # the CSMS did not accept the idTag in StartTransaction.conf
        self.begin = None                 # Transaction.Begin meter value for StopTransaction.transactionData
        self.aligned = []                 # clock-aligned values for StopTransaction.transactionData
        self.sample_base = 0

    def to_record(self):
        record = {"c": self.connector_id, "g": self.id_tag, "ms": self.meter_start, "ts": self.start_ms}
        if self.parent:
            record["pa"] = self.parent
        if self.begin is not None:
            record["b"] = self.begin
        return record

    @classmethod
    def from_record(cls, ref, record):
        tx = cls(ref, record["c"], record.get("g"), record.get("pa"), record.get("ms", 0), record.get("ts", 0))
        tx.begin = record.get("b")
        return tx
