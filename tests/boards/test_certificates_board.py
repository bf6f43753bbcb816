"""The board's optional certificates block: CertificateStoreMaxLength and AdditionalRootCertificateCheck come from
it (20 and false without it), the store refuses past its length, and a wrong block is refused with a message
naming the file, the field and the fix."""

import pytest

from controller.runtime.crypto_cpython import CryptoPort
from tests.boards.refusal import assert_board_refused
from tests.core.test_certificate_scenarios import ca, install
from tests.micropython.core_harness import BOARD, Bench


def keys(b):
    got = b.csms_call("GetConfiguration", {"key": ["CertificateStoreMaxLength", "AdditionalRootCertificateCheck"]})
    return dict((k["key"], k["value"]) for k in got[1]["configurationKey"])


def test_defaults_and_per_board_values():
    b = Bench(board=BOARD)
    b.connect()
    assert keys(b) == {"CertificateStoreMaxLength": "20", "AdditionalRootCertificateCheck": "false"}
    b = Bench(board=dict(BOARD, certificates={"store_max_length": 2, "additional_root_check": True}),
              options={"crypto": CryptoPort()})
    b.connect()
    assert keys(b) == {"CertificateStoreMaxLength": "2", "AdditionalRootCertificateCheck": "true"}
    assert install(b, ca("A"), "ManufacturerRootCertificate") == "Accepted"
    assert install(b, ca("B"), "ManufacturerRootCertificate") == "Accepted"
    assert install(b, ca("C"), "ManufacturerRootCertificate") == "Rejected", "the board's store length reached"


@pytest.mark.parametrize("block,field", [
    ([], "certificates"),
    ({"store_max_length": 0}, "certificates.store_max_length"),
    ({"store_max_length": "20"}, "certificates.store_max_length"),
    ({"store_max_length": True}, "certificates.store_max_length"),
    ({"additional_root_check": "yes"}, "certificates.additional_root_check"),
    ({"max": 3}, "certificates.max"),
])
def test_bad_block_names_file_field_and_fix(tmp_path, block, field):
    assert_board_refused(tmp_path, "certificates", block, field)
