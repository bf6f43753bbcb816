"""The station's features, one module each. The order of DEFAULT_FEATURES is the order hooks run in."""

from controller.features.registration import Registration
from controller.features.heartbeat import Heartbeat
from controller.features.connectors import Connectors
from controller.features.availability import Availability
from controller.features.configuration import Configuration
from controller.features.connectivity import Connectivity
from controller.features.authorization import Authorization
from controller.features.metering import Metering
from controller.features.outbox import Outbox
from controller.features.energy import Energy
from controller.features.transactions import Transactions
from controller.features.reset import Reset
from controller.features.data_transfer import DataTransfer
from controller.features.status import Status
from controller.features.local_list import LocalList
from controller.features.remote_trigger import RemoteTrigger
from controller.features.reservation import Reservation
from controller.features.smart_charging import SmartCharging
from controller.features.phase_rotation import PhaseRotation
from controller.features.firmware import Firmware
from controller.features.diagnostics import Diagnostics
from controller.features.security_events import SecurityEvents
from controller.features.security_profile import SecurityProfile
from controller.features.logs import Logs
from controller.features.signed_firmware import SignedFirmware
from controller.features.certificates import Certificates
from controller.features.certificate_signing import CertificateSigning
from controller.features.extended_trigger import ExtendedTrigger

DEFAULT_FEATURES = (Registration, Connectors, Availability, Configuration, Connectivity, Authorization, Metering,
                    Outbox, Transactions, Energy, Reset, DataTransfer, Heartbeat, Status)
DEFAULT_FEATURES += (LocalList,)
DEFAULT_FEATURES += (RemoteTrigger,)
DEFAULT_FEATURES += (Reservation,)
DEFAULT_FEATURES += (SmartCharging,)
DEFAULT_FEATURES += (Firmware,)
DEFAULT_FEATURES += (Diagnostics,)
DEFAULT_FEATURES += (PhaseRotation,)
DEFAULT_FEATURES += (SecurityEvents, SecurityProfile)
DEFAULT_FEATURES += (Logs,)
DEFAULT_FEATURES += (SignedFirmware,)
DEFAULT_FEATURES += (Certificates,)
DEFAULT_FEATURES += (CertificateSigning, ExtendedTrigger)
