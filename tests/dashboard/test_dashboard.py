"""The dashboard in headless Chromium against a real station process and the bench CSMS: the page loads and
shows the live state; clicks on plug and on tag start a session whose energy then grows on the page; the
password rules. A screenshot is kept in test-artifacts/dashboard.png."""

import asyncio
import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from controller.runtime.dashboard_auth import make_hash, verify
from tests.dashboard.cdp import Browser, chromium_path
from tests.station_process import station_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")

needs_chromium = pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"),
                                    reason="chromium is not installed (make test installs it)")


def _get(url, auth=None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@needs_chromium
def test_dashboard_live_session_in_chromium(tmp_path):
    async def scenario():
        async with station_env(tmp_path) as (csms, station):
            await csms.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=15)
            await csms.call(station.cp_id, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"})
            browser = Browser()
            await browser.start()
            try:
                await browser.goto(station.dashboard_url())
                await browser.wait_js("document.querySelector('#conn-1 .status').textContent === 'Available'",
                                      what="connector 1 Available on the page")
                assert await browser.js("document.querySelector('#link-state').textContent") == "link: connected"
                assert await browser.js("document.querySelector('#cp-id').textContent") == station.cp_id
                await browser.wait_js("document.querySelectorAll('#frames tbody tr').length >= 3",
                                      what="OCPP frames in the traffic table")
                keys = await browser.js("[...document.querySelectorAll('#config td:first-child')]"
                                        ".map(td => td.textContent)")
                assert "HeartbeatInterval" in keys and "AuthorizationKey" not in keys
                await browser.click("#conn-1 .plug")
                await browser.wait_js("document.querySelector('#conn-1 .status').textContent === 'Preparing'",
                                      what="Preparing after the click on plug")
                await browser.click("#conn-1 .tag")
                await browser.wait_js("document.querySelector('#conn-1 .status').textContent === 'Charging'",
                                      timeout=20, what="Charging after the click on tag")
                tx = await browser.wait_js("document.querySelector('#conn-1 .tx').textContent.match(/^\\d+$/)"
                                           " && document.querySelector('#conn-1 .tx').textContent",
                                           what="the transaction id")
                answer = [e for e in csms.ledger if e["kind"] == "CALLRESULT" and e["action"] == "StartTransaction"]
                assert str(answer[-1]["payload"]["transactionId"]) == tx
                energy = "parseInt(document.querySelector('#conn-1 .energy').textContent) || 0"
                first = await browser.wait_js("(" + energy + ") > 0 && (" + energy + ")",
                                              what="session energy above 0")
                await browser.wait_js("(" + energy + ") > " + str(first), timeout=20, what="session energy growing")
                assert "04A1B2C3" == await browser.js("document.querySelector('#conn-1 .id-tag').textContent")
                assert await browser.js("parseInt(document.querySelector('#conn-1 .power').textContent)") > 1000
                os.makedirs(ARTIFACTS, exist_ok=True)
                await browser.screenshot(os.path.join(ARTIFACTS, "dashboard.png"))
            finally:
                await browser.close()

    asyncio.run(scenario())
    with open(os.path.join(ARTIFACTS, "dashboard.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_dashboard_password_beyond_loopback(tmp_path):
    """Bound to every interface it needs a password: without a hash the station refuses to start, naming the
    field and the fix; with one, a request without the password gets 401 and one with it the page."""
    settings = {"charge_point_id": "CP1", "csms_url": "ws://127.0.0.1:9/ocpp",
                "dashboard": {"bind": "0.0.0.0", "port": 0}, "data_dir": str(tmp_path / "data")}
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    refused = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "run", "--config", str(path)],
                             capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert refused.returncode == 2
    assert "dashboard.password_hash" in refused.stderr and "stationctl dashboard-password" in refused.stderr
    assert str(path) in refused.stderr

    made = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "dashboard-password", "--stdin"],
                          input="correct horse battery\n", capture_output=True, text=True, cwd=ROOT, timeout=30)
    stored = made.stdout.strip()
    assert made.returncode == 0 and verify("correct horse battery", stored) and not verify("wrong", stored)
    assert "correct horse" not in stored

    async def scenario():
        async with station_env(tmp_path, dashboard={"bind": "0.0.0.0", "port": 0, "password_hash": stored}) as (
                csms, station):
            url = station.dashboard_url()
            loop = asyncio.get_running_loop()
            status, _ = await loop.run_in_executor(None, _get, url)
            assert status == 401
            status, _ = await loop.run_in_executor(None, _get, url + "api/state", "tech:wrong")
            assert status == 401
            status, page = await loop.run_in_executor(None, _get, url, "tech:correct horse battery")
            assert status == 200 and b"<title>Station Controller</title>" in page
            status, body = await loop.run_in_executor(None, _get, url + "api/state", "tech:correct horse battery")
            state = json.loads(body)
            assert status == 200 and state["charge_point_id"] == station.cp_id
            assert all("value" not in k for k in state["config"] if k["key"] == "AuthorizationKey")

    asyncio.run(scenario())


def test_dashboard_password_hash_checks():
    stored = make_hash("s3cret-pass", iterations=1000)
    assert verify("s3cret-pass", stored) and not verify("s3cret-pasS", stored)
    assert not verify("s3cret-pass", "pbkdf2_sha256$1000$zz$00") and not verify("x", "plain")


def test_dashboard_rejects_bad_settings(tmp_path):
    from controller import settings as settings_mod
    base = {"charge_point_id": "CP1", "csms_url": "ws://127.0.0.1:9/ocpp"}
    for dash, field in (({"port": 70000}, "dashboard.port"), ({"bind": ""}, "dashboard.bind"),
                        ({"password_hash": "hunter2"}, "dashboard.password_hash"),
                        ({"colour": "red"}, "dashboard.colour"), ({"enabled": "yes"}, "dashboard.enabled")):
        data = dict(base, dashboard=dash)
        with pytest.raises(settings_mod.SettingsError) as e:
            settings_mod.check(data, "site.json")
        assert "site.json" in str(e.value) and field in str(e.value) and "Fix:" in str(e.value)
    ok = settings_mod.check(dict(base, dashboard={"bind": "0.0.0.0", "enabled": False}), "site.json")
    assert ok["dashboard"]["enabled"] is False
