"""Fixtures for the transfer and install tests: a CA and a server certificate for 127.0.0.1, image builders."""

import os

import pytest

from controller.runtime.firmware_pack import pack
from tests.certs import make_ca, make_cert


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca("Files Test Root")
    server = make_cert(ca, "127.0.0.1", is_server=True, san=["localhost", "127.0.0.1"])
    ca_file = os.path.join(str(folder), "ca.pem")
    with open(ca_file, "wb") as f:
        f.write(ca.cert_pem)
    return {"server": server, "ca_file": ca_file}


def make_tree(root, files=None):
    files = files or {"controller/__init__.py": b'"""new firmware"""\n', "README.md": b"v2\n"}
    for name, data in files.items():
        path = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return str(root)


@pytest.fixture
def image(tmp_path):
    """A valid image of version 2.0 at tmp_path/fw.tar.gz."""
    path = str(tmp_path / "fw.tar.gz")
    pack(make_tree(tmp_path / "src"), "2.0", path)
    return path
