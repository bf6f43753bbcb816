"""DataTransfer from the CSMS: our own vendor id answers a small set of messages; anything else is refused."""

from controller.feature import Feature

VENDOR_ID = "org.stationcontroller"


class DataTransfer(Feature):
    NAME = "data_transfer"

    def actions(self):
        return {"DataTransfer": self.data_transfer}

    def data_transfer(self, payload, now):
        if payload["vendorId"] != VENDOR_ID:
            return {"status": "UnknownVendorId"}
        message = payload.get("messageId")
        if message == "Echo":
            answer = {"status": "Accepted"}
            if "data" in payload:
                answer["data"] = payload["data"]
            return answer
        if message == "Uptime":
            return {"status": "Accepted", "data": str(now // 1000)}
        return {"status": "UnknownMessageId"}
