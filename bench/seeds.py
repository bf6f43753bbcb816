"""What the certified seed stations (../shared/seeds/) measured, and what other stacks publish, for comparison."""

# "OCPP response timeout" measured by the test labs: min / max / average seconds, per certified station.
SEED_RESPONSE_S = [(0.85, 4.78, 1.17), (0.35, 1.63, 0.48), (0.27, 0.50, 0.28)]
SEED_REMOTE_START_S = [16.82, 22.54]
SEED_REMOTE_STOP_S = [7.02, 11.70]
MICROOCPP_GETCONFIG_P99_MS = 0.76
OPEN_OCPP_P99_MS = 10.0


def seed_response_line():
    averages = ", ".join("%.2f s" % avg for _, _, avg in SEED_RESPONSE_S)
    return "seed stations' average CSMS->station response time: " + averages

# Smart Charging limits in the certified seeds' PICS (ORS-14 ChargingProfileMaxStackLevel, ORS-15
# ChargingScheduleMaxPeriods), per seed that lists them; none publishes a timing.
SEED_SMART_LIMITS = [(10, 10), (3, 300), (8, 24)]
