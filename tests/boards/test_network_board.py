"""The board's "network" block (Wi-Fi station or Ethernet on a MicroPython board) and the settings' "wifi": a
wrong value is refused with a message naming the file, the field and the fix; a Wi-Fi board without credentials
does not start (checked on the MicroPython unix port too, where the runtime's main refuses it)."""

import json
import os
import subprocess

import pytest

import boards
from controller import settings
from tests.conftest import ROOT
from tests.unixport import interpreters

GOOD_SETTINGS = {"charge_point_id": "CP1", "csms_url": "ws://192.0.2.1:9000/ocpp"}


def esp32(**change):
    with open(os.path.join(ROOT, "boards", "esp32-s3.json")) as f:
        board = json.load(f)
    board.update(change)
    return board


def write(tmp_path, doc, name):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("net", [{"type": "wlan"}, {"type": "wlan", "hostname": "station-7"}, {"type": "none"},
                                 {"type": "lan", "phy": "LAN8720", "mdc": 23, "mdio": 18, "power": 12, "phy_addr": 0},
                                 {"type": "lan", "phy": "IP101", "mdc": 23, "mdio": 18}])
def test_good_network_blocks_load(tmp_path, net):
    assert boards.load(write(tmp_path, esp32(network=net), "b.json"))["network"] == net


@pytest.mark.parametrize("net,field", [
    ("wlan", "network.type"),
    ({"type": "wifi"}, "network.type"),
    ({"type": "wlan", "ssid": "x"}, "network.ssid"),
    ({"type": "wlan", "hostname": "bad name"}, "network.hostname"),
    ({"type": "lan", "mdio": 18}, "network.mdc"),
    ({"type": "lan", "mdc": 23, "mdio": 99}, "network.mdio"),
    ({"type": "lan", "mdc": 23, "mdio": 18, "phy": "RTL9999"}, "network.phy"),
    ({"type": "lan", "mdc": 23, "mdio": 18, "phy_addr": 32}, "network.phy_addr"),
    ({"type": "lan", "mdc": True, "mdio": 18}, "network.mdc"),
    ({"type": "lan", "mdc": 23, "mdio": 18, "power": "12"}, "network.power"),
])
def test_bad_network_block_names_file_field_and_fix(tmp_path, net, field):
    path = write(tmp_path, esp32(network=net), "bad.json")
    with pytest.raises(boards.BoardError) as e:
        boards.load(path)
    text = str(e.value)
    assert path in text and "'" + field + "'" in text and "Fix:" in text, text


def test_network_block_only_on_a_micropython_board(tmp_path):
    with open(os.path.join(ROOT, "boards", "raspberry-pi.json")) as f:
        board = json.load(f)
    board["network"] = {"type": "wlan"}
    with pytest.raises(boards.BoardError) as e:
        boards.load(write(tmp_path, board, "pi.json"))
    assert "'network'" in str(e.value) and "hal micropython" in str(e.value)


@pytest.mark.parametrize("wifi", [{"ssid": "depot", "password": "eight888"}, {"ssid": "depot"},
                                  {"ssid": "café", "password": ""}, {"ssid": "x" * 32, "password": "a" * 63},
                                  {"ssid": "depot", "password": "0123456789abcdef" * 4}])
def test_good_wifi_settings(tmp_path, wifi):
    got = settings.load(write(tmp_path, dict(GOOD_SETTINGS, wifi=wifi), "s.json"))["wifi"]
    assert got["ssid"] == wifi["ssid"] and got["password"] == wifi.get("password", "")


@pytest.mark.parametrize("wifi,field,words", [
    ("depot", "wifi", "object"),
    ({"password": "eight888"}, "wifi.ssid", "1 to 32 bytes"),
    ({"ssid": ""}, "wifi.ssid", "1 to 32 bytes"),
    ({"ssid": "x" * 33}, "wifi.ssid", "1 to 32 bytes"),
    ({"ssid": "depot", "password": "short"}, "wifi.password", "8 to 63"),
    ({"ssid": "depot", "password": "g" * 64}, "wifi.password", "64 hex digits"),
    ({"ssid": "depot", "password": 12345678}, "wifi.password", "string"),
    ({"ssid": "depot", "password": "eight888", "security": "wpa3"}, "wifi.security", "not a Wi-Fi setting"),
])
def test_bad_wifi_settings_name_the_file_field_and_fix(tmp_path, wifi, field, words):
    path = write(tmp_path, dict(GOOD_SETTINGS, wifi=wifi), "s.json")
    with pytest.raises(settings.SettingsError) as e:
        settings.load(path)
    text = str(e.value)
    assert path in text and "'" + field + "'" in text and words in text and "Fix:" in text, text


def test_wlan_board_needs_wifi_settings(tmp_path):
    board = boards.load("esp32-s3")
    assert board["network"]["type"] == "wlan"
    path = write(tmp_path, GOOD_SETTINGS, "s.json")
    with pytest.raises(settings.SettingsError) as e:
        settings.check_network(settings.load(path), board, path)
    assert path in str(e.value) and "'wifi'" in str(e.value) and "esp32-s3" in str(e.value)
    good = settings.load(write(tmp_path, dict(GOOD_SETTINGS, wifi={"ssid": "depot", "password": "eight888"}), "g.json"))
    settings.check_network(good, board, path)
    settings.check_network(settings.load(path), boards.load("desktop-sim"), path)   # no network block: nothing needed


def test_micropython_main_refuses_a_wifi_board_without_wifi(tmp_path):
    path = write(tmp_path, dict(GOOD_SETTINGS, board=os.path.join(ROOT, "boards", "esp32-s3.json"), data_dir=str(tmp_path / "data")), "s.json")
    proc = subprocess.run(interpreters.micropython(variant="frozen") + ["-m", "controller.runtime.micropython.main",
                                                                        "--config", path],
                          cwd=str(tmp_path), env=interpreters.env(frozen=True), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot start" in proc.stdout and "'wifi'" in proc.stdout and "Fix:" in proc.stdout
