"""Invariants over the bench CSMS ledger after power cuts, CSMS restarts and network drops.

Message ids are stable across restarts and reconnects; a retry on the same connection adds "/n", so the part
before "/" identifies a message.
"""

TX_ACTIONS = ("StartTransaction", "StopTransaction", "MeterValues")


def base_id(msg_id):
    return msg_id.split("/")[0]


def check(ledger, disruptions):
    """Raise AssertionError unless every transaction started and stopped once, MeterValues are in order, no
    message is lost and duplicates are at most one per disruption. Returns the counts."""
    calls = [e for e in ledger if e["dir"] == "in" and e["kind"] == "CALL" and e["action"] in TX_ACTIONS]
    answers = {}
    for e in ledger:
        if e["dir"] == "out" and e["kind"] == "CALLRESULT" and e["action"] == "StartTransaction":
            answers.setdefault(base_id(e["id"]), []).append(e["payload"]["transactionId"])
    first = {}
    duplicates = {}
    for e in calls:
        key = base_id(e["id"])
        if key in first:
            duplicates[key] = duplicates.get(key, 0) + 1
            assert e["payload"] == first[key]["payload"], "a repeated message must be the same message: " + key
        else:
            first[key] = e
    starts = [e for e in first.values() if e["action"] == "StartTransaction"]
    stops = [e for e in first.values() if e["action"] == "StopTransaction"]
    owner = {}
    for start in starts:
        ids = answers.get(base_id(start["id"]), [])
        assert ids, "StartTransaction " + start["id"] + " was never answered"
        for tx_id in ids:
            owner[tx_id] = base_id(start["id"])
    stopped = {}
    for stop in stops:
        tx_id = stop["payload"]["transactionId"]
        assert tx_id in owner, "StopTransaction for a transaction never started: " + str(tx_id)
        start = owner[tx_id]
        assert start not in stopped, "transaction " + str(tx_id) + " stopped twice"
        stopped[start] = stop
    for start in starts:
        assert base_id(start["id"]) in stopped, "transaction of " + start["id"] + " was never stopped"
    meter_values = [e for e in first.values() if e["action"] == "MeterValues" and "transactionId" in e["payload"]]
    by_tx = {}
    for e in meter_values:
        by_tx.setdefault(e["payload"]["transactionId"], []).append(e["payload"]["meterValue"][0]["timestamp"])
    for tx_id, stamps in by_tx.items():
        assert tx_id in owner, "MeterValues for an unknown transaction " + str(tx_id)
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "MeterValues out of order"
    total_dupes = sum(duplicates.values())
    assert max(list(duplicates.values()) + [0]) <= disruptions and total_dupes <= disruptions, \
        "too many duplicates: " + str(duplicates)
    return {"transactions": len(starts), "stops": len(stops), "meter_values": len(meter_values),
            "duplicates": total_dupes, "disruptions": disruptions}
