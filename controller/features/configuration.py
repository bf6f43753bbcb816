"""GetConfiguration and ChangeConfiguration over the configuration registry (OCPP 1.6 §5.3, §5.8).

Requesting more keys than GetConfigurationMaxKeys is answered with CALLERROR OccurenceConstraintViolation (1.6
leaves it open; we refuse rather than silently truncate). AuthorizationKey is listed without a value.
"""

from controller import config
from controller.feature import Feature
from controller.rpc import CallError


class Configuration(Feature):
    NAME = "configuration"
    KEYS = (
        config.Key("GetConfigurationMaxKeys", config.INT, 100, access="R", persist=False),
        config.Key("SupportedFeatureProfiles", config.CSL, ["Core"], access="R", persist=False),
    )

    def actions(self):
        return {"GetConfiguration": self.get_configuration, "ChangeConfiguration": self.change_configuration}

    def start(self, now):
        profiles = []
        for f in self.st.features:
            profile = getattr(f, "PROFILE", None)
            if profile and profile not in profiles:
                profiles.append(profile)
        self.st.config.set_internal("SupportedFeatureProfiles", ["Core"] + [p for p in profiles if p != "Core"])

    def get_configuration(self, payload, now):
        registry = self.st.config
        requested = payload.get("key")
        if requested is None or len(requested) == 0:
            return {"configurationKey": [registry.describe(k) for k in registry.readable()]}
        limit = registry.get("GetConfigurationMaxKeys")
        if len(requested) > limit:
            raise CallError("OccurenceConstraintViolation", "at most " + str(limit) + " keys per request")
        known = []
        unknown = []
        for name in requested:
            key = registry.find(name)
            if key is None:
                unknown.append(name)
            else:
                known.append(registry.describe(key))
        answer = {"configurationKey": known}
        if unknown:
            answer["unknownKey"] = unknown
        return answer

    def change_configuration(self, payload, now):
        status, reason = self.st.config.change(payload["key"], payload["value"])
        if status != config.ACCEPTED:
            self.st.log.info("ChangeConfiguration " + payload["key"] + ": " + status +
                             (" (" + reason + ")" if reason else ""))
        return {"status": status}
