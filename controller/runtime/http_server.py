"""The little HTTP/1.1 that the control API and the dashboard serve over asyncio streams: one request per
connection, a bounded head and body, and plain responses. (CPython runtime only.)"""

import asyncio

MAX_HEAD = 16384
MAX_BODY = 65536
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           413: "Payload Too Large", 500: "Internal Server Error"}


class BadRequest(Exception):
    def __init__(self, status, text):
        Exception.__init__(self, text)
        self.status = status


async def read_request(reader, timeout=5):
    """(method, path without query, headers with lower-case names, body) or raise BadRequest."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.LimitOverrunError:
        raise BadRequest(413, "request head too large")
    except (asyncio.IncompleteReadError, asyncio.TimeoutError):
        raise BadRequest(400, "incomplete request")
    if len(head) > MAX_HEAD:
        raise BadRequest(413, "request head too large")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        raise BadRequest(400, "bad request line")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise BadRequest(400, "bad Content-Length")
    if length > MAX_BODY or length < 0:
        raise BadRequest(413, "body too large")
    try:
        body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
    except (asyncio.IncompleteReadError, asyncio.TimeoutError):
        raise BadRequest(400, "incomplete body")
    return parts[0], parts[1].split("?")[0], headers, body


def response_head(status, content_type, length=None, extra=None):
    head = "HTTP/1.1 " + str(status) + " " + REASONS.get(status, "Error") + "\r\nContent-Type: " + content_type + \
           "\r\nCache-Control: no-store\r\n"
    if length is not None:
        head += "Content-Length: " + str(length) + "\r\nConnection: close\r\n"
    for name in (extra or {}):
        head += name + ": " + extra[name] + "\r\n"
    return (head + "\r\n").encode()


async def respond(writer, status, content_type, data, extra=None):
    writer.write(response_head(status, content_type, len(data), extra) + data)
    try:
        await writer.drain()
        writer.close()
    except Exception:
        pass
