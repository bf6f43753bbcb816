"""Headless Chromium driven over the Chrome DevTools Protocol, on the `websockets` client the project already
has: open a page, evaluate JavaScript, click an element with real mouse events, take a screenshot."""

import asyncio
import base64
import itertools
import json
import os
import shutil
import tempfile

from websockets.asyncio.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1100", "--remote-debugging-port=0"]


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self):
        self.proc = None
        self.ws = None
        self.session = None
        self.ids = itertools.count(1)
        self.waiting = {}
        self.reader = None
        self.profile = tempfile.mkdtemp(prefix="cdp-")

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            chromium_path(), *FLAGS, "--user-data-dir=" + self.profile, "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        marker = os.path.join(self.profile, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(marker):
                lines = open(marker).read().split()
                if len(lines) == 2:
                    break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("chromium did not open its DevTools port")
        self.ws = await connect("ws://127.0.0.1:" + lines[0] + lines[1], max_size=64 * 1024 * 1024)
        self.reader = asyncio.ensure_future(self._read())
        target = await self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                                   browser=True)
        self.session = attached["sessionId"]
        await self.send("Page.enable")
        await self.send("Runtime.enable")

    async def _read(self):
        async for message in self.ws:
            msg = json.loads(message)
            fut = self.waiting.pop(msg.get("id"), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)

    async def send(self, method, params=None, browser=False):
        msg_id = next(self.ids)
        msg = {"id": msg_id, "method": method, "params": params or {}}
        if not browser:
            msg["sessionId"] = self.session
        fut = asyncio.get_running_loop().create_future()
        self.waiting[msg_id] = fut
        await self.ws.send(json.dumps(msg))
        answer = await asyncio.wait_for(fut, 20)
        if "error" in answer:
            raise RuntimeError(method + ": " + str(answer["error"]))
        return answer["result"]

    async def goto(self, url):
        await self.send("Page.navigate", {"url": url})

    async def js(self, expression):
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                      "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError("page error: " + json.dumps(result["exceptionDetails"])[:500])
        return result["result"].get("value")

    async def wait_js(self, expression, timeout=15.0, what=None):
        """Poll `expression` in the page until it is truthy; return its value."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        value = None
        while loop.time() < end:
            try:
                value = await self.js(expression)
            except RuntimeError:
                value = None
            if value:
                return value
            await asyncio.sleep(0.2)
        raise AssertionError("timed out waiting for " + (what or expression) + " (last value " + repr(value) + ")")

    async def click(self, selector):
        """A real click: mouse pressed and released at the middle of the element."""
        box = await self.js("(() => { const el = document.querySelector(" + json.dumps(selector) + ");"
                            "el.scrollIntoView({block: 'center'}); const r = el.getBoundingClientRect();"
                            "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                         "clickCount": 1})

    async def screenshot(self, path):
        shot = await self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
