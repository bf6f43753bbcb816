"""Default answers of the bench CSMS to the CALLs a station sends.

Everything is Accepted unless a test says otherwise: `boot_responses` scripts the next BootNotification
answers, `id_tags` gives the idTagInfo per idTag. Per-action overrides (responders, delays, silence) live
in BenchCSMS, which inherits these answers.
"""

import datetime


def iso_now(clock):
    """UTC time from `clock()` as an RFC 3339 string with milliseconds and a Z suffix."""
    now = clock().astimezone(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


class DefaultAnswers:
    """Answers per action; actions without a method get an empty confirmation `{}`."""

    def __init__(self):
        # [(status, interval), ...] consumed one per BootNotification, then boot_default.
        self.boot_responses = []
        self.boot_default = ("Accepted", 300)
        # idTag -> idTagInfo, e.g. {"ABC": {"status": "Accepted", "parentIdTag": "P"}}
        self.id_tags = {}
        self.default_id_tag_info = {"status": "Accepted"}
        # Source of currentTime; tests may replace it to give the station a different wall clock.
        self.clock = lambda: datetime.datetime.now(datetime.timezone.utc)
        self.next_transaction_id = 1

    def default_answer(self, cp_id, action, payload):
        method = getattr(self, "answer_" + action, None)
        return method(cp_id, payload) if method else {}

    def id_tag_info(self, id_tag):
        return dict(self.id_tags.get(id_tag, self.default_id_tag_info))

    def answer_BootNotification(self, cp_id, payload):
        status, interval = self.boot_responses.pop(0) if self.boot_responses else self.boot_default
        return {"status": status, "currentTime": iso_now(self.clock), "interval": interval}

    def answer_Heartbeat(self, cp_id, payload):
        return {"currentTime": iso_now(self.clock)}

    def answer_Authorize(self, cp_id, payload):
        return {"idTagInfo": self.id_tag_info(payload["idTag"])}

    def answer_StartTransaction(self, cp_id, payload):
        transaction_id = self.next_transaction_id
        self.next_transaction_id += 1
        return {"transactionId": transaction_id, "idTagInfo": self.id_tag_info(payload["idTag"])}

    def answer_StopTransaction(self, cp_id, payload):
        if "idTag" in payload:
            return {"idTagInfo": self.id_tag_info(payload["idTag"])}
        return {}

    def answer_DataTransfer(self, cp_id, payload):
        return {"status": "Accepted"}

    def answer_SignCertificate(self, cp_id, payload):
        return {"status": "Accepted"}
