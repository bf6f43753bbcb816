"""Security profiles on the bench CSMS: HTTP Basic auth (1/2), TLS server certificate (2), client certificate (3)."""

import base64
import ssl

import pytest
from websockets.exceptions import InvalidHandshake, InvalidStatus

from bench_csms import BenchCSMS, server_ssl_context
from tests.bench_csms.rawstation import RawStation, async_test
from tests.certs import make_ca, make_cert

PASSWORD = bytes.fromhex("4F43415F4F4354545F61646D696E5F74657374")   # "OCA_OCTT_admin_test"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(user.encode() + b":" + password).decode()}


@async_test
async def test_basic_auth_accepts_the_right_password_and_records_it():
    async with BenchCSMS(basic_auth={"CP001": PASSWORD}) as csms:
        station = await RawStation.connect(csms.url, additional_headers=basic("CP001", PASSWORD))
        handshake = await csms.wait_connected("CP001")
        assert handshake["auth"] == {"user": "CP001", "password": PASSWORD}
        assert handshake["status"] == 101
        assert (await station.boot())[0] == 3
        await station.close()
        csms.assert_clean()


@pytest.mark.parametrize("headers", [
    {},                                                     # no credentials
    basic("CP001", b"wrong password"),
    basic("CP002", PASSWORD),                               # user is not the charge point id
    {"Authorization": "Bearer abc"},
    {"Authorization": "Basic not*base64"},
])
@async_test
async def test_basic_auth_refuses_with_401(headers):
    async with BenchCSMS(basic_auth={"CP001": PASSWORD, "CP002": b"other"}) as csms:
        with pytest.raises(InvalidStatus) as info:
            await RawStation.connect(csms.url, additional_headers=headers)
        assert info.value.response.status_code == 401
        assert "Basic" in info.value.response.headers["WWW-Authenticate"]
        handshake = csms.handshakes[-1]
        assert handshake["status"] == 401 and not csms.connected("CP001")
        if headers:
            assert handshake["auth"] is not None
        csms.assert_clean()   # a refused password is the CSMS's decision, not a station violation


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = make_ca("Bench Test Root CA")
    server = make_cert(ca, "localhost", is_server=True, san=["localhost", "127.0.0.1"])
    client = make_cert(ca, "CP001", is_server=False, org="Test CPO")
    paths = {"ca": directory / "ca.pem"}
    paths["ca"].write_bytes(ca.cert_pem)
    paths["server"] = server.write(directory, "server")
    paths["client"] = client.write(directory, "client")
    return paths


def client_context(pki, with_cert):
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    if with_cert:
        context.load_cert_chain(*pki["client"])
    return context


@async_test
async def test_tls_server_certificate_profile_2(pki):
    context = server_ssl_context(*pki["server"])
    async with BenchCSMS(ssl_context=context, basic_auth={"CP001": PASSWORD}) as csms:
        assert csms.url.startswith("wss://127.0.0.1:")
        station = await RawStation.connect(csms.url, ssl=client_context(pki, False),
                                           additional_headers=basic("CP001", PASSWORD))
        handshake = await csms.wait_connected("CP001")
        assert handshake["client_cert_subject"] is None and handshake["auth"]["password"] == PASSWORD
        assert (await station.boot())[0] == 3
        await station.close()
        csms.assert_clean()


@async_test
async def test_tls_client_certificate_profile_3(pki):
    context = server_ssl_context(*pki["server"], client_ca=str(pki["ca"]))
    async with BenchCSMS(ssl_context=context) as csms:
        station = await RawStation.connect(csms.url, ssl=client_context(pki, True))
        handshake = await csms.wait_connected("CP001")
        assert handshake["client_cert_subject"] == "O=Test CPO,CN=CP001"
        assert handshake["client_cert_der"]
        assert (await station.boot())[0] == 3
        await station.close()

        # No client certificate: the server ends the TLS session (the client may notice during TLS or HTTP).
        with pytest.raises((InvalidHandshake, OSError)):
            await RawStation.connect(csms.url, ssl=client_context(pki, False))
        assert len(csms.handshakes) == 1
        csms.assert_clean()
