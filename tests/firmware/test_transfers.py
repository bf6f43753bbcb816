"""Downloads and uploads over real FTP, FTPS, HTTP and HTTPS servers on 127.0.0.1 (controller/runtime/transfer_cpython),
and each way a transfer fails: a wrong password, a 404, a server that drops mid-transfer, one that stalls, a full
disk, a refused connection, an unsupported protocol.
"""

import os
import socket
import subprocess

import pytest

from controller.runtime import transfer_cpython as transfer
from tests.firmware.servers import FtpServer, HttpServer, copy


def blob(tmp_path, size=300000):
    path = str(tmp_path / "blob.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def same(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


@pytest.mark.parametrize("tls", [False, True], ids=["ftp", "ftps"])
def test_ftp_download_and_upload(tmp_path, pki, tls):
    src = blob(tmp_path)
    root = tmp_path / "ftp"
    copy(src, root, "fw.bin")
    os.makedirs(str(root / "diag"))
    with FtpServer(root, tls=pki["server"] if tls else None, tmp=str(tmp_path / "certs")) as ftp:
        dest = str(tmp_path / "got.bin")
        assert transfer.download(ftp.url("fw.bin"), dest, 10, pki["ca_file"]) == os.path.getsize(src)
        assert same(src, dest) and not os.path.exists(dest + ".part")
        where = transfer.upload(ftp.url("diag"), src, "bundle.tar.gz", 10, pki["ca_file"])
        assert where == "/diag/bundle.tar.gz"
        assert same(src, str(root / "diag" / "bundle.tar.gz"))


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_http_download_and_upload(tmp_path, pki, tls):
    src = blob(tmp_path)
    root = tmp_path / "web"
    copy(src, root, "fw.bin")
    with HttpServer(root, tls=pki["server"] if tls else None, tmp=str(tmp_path / "certs")) as web:
        dest = str(tmp_path / "got.bin")
        assert transfer.download(web.url("fw.bin"), dest, 10, pki["ca_file"]) == os.path.getsize(src)
        assert same(src, dest)
        transfer.upload(web.url("up"), src, "a.tar.gz", 10, pki["ca_file"])            # PUT
        transfer.upload(web.url("nopost/up"), src, "b.tar.gz", 10, pki["ca_file"])     # 405 -> POST
        assert web.uploads == [("PUT", "/up/a.tar.gz"), ("POST", "b.tar.gz")]
        assert same(src, str(root / "uploads" / "a.tar.gz")) and same(src, str(root / "uploads" / "b.tar.gz"))


def test_https_with_an_unknown_ca_is_refused(tmp_path, pki):
    copy(blob(tmp_path), tmp_path / "web", "fw.bin")
    with HttpServer(tmp_path / "web", tls=pki["server"], tmp=str(tmp_path / "certs")) as web:
        with pytest.raises(transfer.TransferError, match="TLS|certificate"):
            transfer.download(web.url("fw.bin"), str(tmp_path / "got.bin"), 10, None)


def test_ftp_wrong_password_and_missing_file(tmp_path):
    copy(blob(tmp_path), tmp_path / "ftp", "fw.bin")
    with FtpServer(tmp_path / "ftp") as ftp:
        with pytest.raises(transfer.TransferError, match="login refused"):
            transfer.download(ftp.url("fw.bin", password="wrong"), str(tmp_path / "got.bin"), 10)
        with pytest.raises(transfer.TransferError, match="refused by the FTP server"):
            transfer.download(ftp.url("nothing.bin"), str(tmp_path / "got.bin"), 10)
        with pytest.raises(transfer.TransferError):
            transfer.upload(ftp.url("files/failedLocation"), blob(tmp_path, 10), "x.tar.gz", 10)
    assert not os.path.exists(str(tmp_path / "got.bin")) and not os.path.exists(str(tmp_path / "got.bin.part"))


def test_http_404_drop_and_slow_server(tmp_path):
    copy(blob(tmp_path), tmp_path / "web", "fw.bin")
    dest = str(tmp_path / "got.bin")
    with HttpServer(tmp_path / "web", slow_s=3) as web:
        with pytest.raises(transfer.TransferError, match="HTTP 404"):
            transfer.download(web.url("missing.bin"), dest, 10)
        with pytest.raises(transfer.TransferError, match="dropped mid-transfer"):
            transfer.download(web.url("drop/fw.bin"), dest, 10)
        with pytest.raises(transfer.TransferError, match="timed out"):
            transfer.download(web.url("slow/fw.bin"), dest, 0.5)
    assert not os.path.exists(dest) and not os.path.exists(dest + ".part")


def test_refused_connection_and_unsupported_protocol(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(transfer.TransferError, match="refused"):
        transfer.download("http://127.0.0.1:" + str(port) + "/fw.bin", str(tmp_path / "x"), 5)
    with pytest.raises(transfer.TransferError, match="unsupported protocol"):
        transfer.download("sftp://127.0.0.1/fw.bin", str(tmp_path / "x"), 5)


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB tmpfs (root in CI); skipped where mounting is not allowed."""
    mount = str(tmp_path / "small")
    os.makedirs(mount)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", mount], capture_output=True)


def test_full_disk_fails_cleanly(tmp_path, small_disk):
    copy(blob(tmp_path, 1000000), tmp_path / "web", "fw.bin")
    dest = os.path.join(small_disk, "got.bin")
    with HttpServer(tmp_path / "web") as web:
        with pytest.raises(transfer.TransferError, match="storage full"):
            transfer.download(web.url("fw.bin"), dest, 10)
    assert os.listdir(small_disk) == [], "the partial file is removed"
