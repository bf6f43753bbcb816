"""File transfers for the CPython runtime: download and upload over FTP, FTPS, HTTP and HTTPS (blocking; the
runtime runs them in a thread).

    download(url, dest, timeout_s=60, cafile=None, progress=None) -> bytes written
        streams to `dest + ".part"` in 64 KB chunks (never the whole file in memory), fsyncs, renames to `dest`;
        follows up to 5 HTTP redirects. FTP: binary RETR (anonymous unless the URL has user:password@).
        FTPS: explicit TLS (AUTH TLS, then a protected data channel).
    upload(url, src, name, timeout_s=60, cafile=None) -> the URL the file went to
        FTP(S): STOR `name` into the URL's directory. HTTP(S): PUT to `url/name`; a server that answers 405
        gets a multipart/form-data POST (field "file") to `url` instead.

Both raise TransferError with a reason a person can read (refused, wrong password, 404, timeout, storage full,
dropped mid-transfer) and a `kind` for GetLog's statuses: "permission" (401/403, FTP 530/532, a 550 that says
so), "unsupported" (405/501, FTP 502/504), "protocol" (a reply that is not HTTP or FTP) or None. `timeout_s` bounds every socket operation, so a server that stalls fails the attempt.
`PROTOCOLS` is what SupportedFileTransferProtocols reports.
"""

import errno
import ftplib
import http.client
import os
import socket
import ssl
import uuid
from urllib.parse import unquote, urljoin, urlsplit

PROTOCOLS = ("FTP", "FTPS", "HTTP", "HTTPS")
CHUNK = 64 * 1024
MAX_REDIRECTS = 5


class TransferError(Exception):
    def __init__(self, reason, kind=None):
        Exception.__init__(self, reason)
        self.kind = kind


HTTP_KINDS = {401: "permission", 403: "permission", 405: "unsupported", 501: "unsupported"}
FTP_KINDS = {"530": "permission", "532": "permission", "502": "unsupported", "504": "unsupported"}


def tls_context(cafile=None):
    ctx = ssl.create_default_context()
    if cafile:
        ctx.load_verify_locations(cafile)
    return ctx


def _reason(e):
    if isinstance(e, TransferError):
        return str(e)
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "storage full (" + os.strerror(e.errno) + ")"
    if isinstance(e, ftplib.error_perm):
        text = str(e)
        if text.startswith("530"):
            return "login refused (" + text + ")"
        return "refused by the FTP server (" + text + ")"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, ssl.SSLError):
        return "TLS failed (" + (e.reason or str(e)) + ")"
    return (str(e) or e.__class__.__name__)[:200]


def _kind(e):
    if isinstance(e, TransferError):
        return e.kind
    if isinstance(e, ftplib.error_perm):
        text = str(e)
        if text.startswith("550") and ("privilege" in text.lower() or "permission" in text.lower() or
                                       "denied" in text.lower()):
            return "permission"
        return FTP_KINDS.get(text[:3])
    if isinstance(e, (ftplib.error_proto, ftplib.error_reply)):
        return "protocol"
    if isinstance(e, http.client.HTTPException) and not isinstance(e, http.client.IncompleteRead):
        return "protocol"
    return None


def _http_error(resp):
    return TransferError("HTTP " + str(resp.status) + " " + resp.reason, HTTP_KINDS.get(resp.status))


def _split(url):
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme.upper() not in PROTOCOLS:
        raise TransferError("unsupported protocol " + repr(parts.scheme) + " (supported: " + ", ".join(PROTOCOLS) +
                            ")")
    if not parts.hostname:
        raise TransferError("no host in " + url)
    return scheme, parts


# ---- FTP ---------------------------------------------------------------------------------------------------------
def _ftp(scheme, parts, timeout_s, cafile):
    if scheme == "ftps":
        ftp = ftplib.FTP_TLS(context=tls_context(cafile), timeout=timeout_s)
    else:
        ftp = ftplib.FTP(timeout=timeout_s)
    ftp.connect(parts.hostname, parts.port or 21)
    ftp.login(unquote(parts.username or "anonymous"), unquote(parts.password or "anonymous@"))
    if scheme == "ftps":
        ftp.prot_p()
    ftp.voidcmd("TYPE I")
    return ftp


def _ftp_download(scheme, parts, out, timeout_s, cafile, progress):
    ftp = _ftp(scheme, parts, timeout_s, cafile)
    try:
        path = unquote(parts.path) or "/"
        try:
            expected = ftp.size(path)
        except ftplib.error_perm:
            expected = None
        got = [0]

        def write(data):
            out.write(data)
            got[0] += len(data)
            if progress is not None:
                progress(got[0], expected)

        ftp.retrbinary("RETR " + path, write, blocksize=CHUNK)
        if expected is not None and got[0] != expected:
            raise TransferError("dropped mid-transfer (" + str(got[0]) + " of " + str(expected) + " bytes)")
        return got[0]
    finally:
        _quit(ftp)


def _ftp_upload(scheme, parts, src, name, timeout_s, cafile):
    ftp = _ftp(scheme, parts, timeout_s, cafile)
    try:
        folder = unquote(parts.path) or "/"
        if folder not in ("", "/"):
            ftp.cwd(folder)
        with open(src, "rb") as f:
            ftp.storbinary("STOR " + name, f, blocksize=CHUNK)
        return folder.rstrip("/") + "/" + name
    finally:
        _quit(ftp)


def _quit(ftp):
    try:
        ftp.quit()
    except Exception:
        ftp.close()


# ---- HTTP --------------------------------------------------------------------------------------------------------
def _connection(scheme, parts, timeout_s, cafile):
    if scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout_s,
                                           context=tls_context(cafile))
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout_s)


def _target(parts):
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


def _headers(parts):
    headers = {"User-Agent": "StationController"}
    if parts.username is not None:
        import base64
        token = (unquote(parts.username) + ":" + unquote(parts.password or "")).encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
    return headers


def _http_download(url, out, timeout_s, cafile, progress):
    for _ in range(MAX_REDIRECTS + 1):
        scheme, parts = _split(url)
        conn = _connection(scheme, parts, timeout_s, cafile)
        try:
            conn.request("GET", _target(parts), headers=_headers(parts))
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location"))
                continue
            if resp.status != 200:
                raise TransferError("HTTP " + str(resp.status) + " " + resp.reason)
            length = resp.getheader("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            got = 0
            while True:
                try:
                    data = resp.read(CHUNK)
                except http.client.IncompleteRead:
                    data = b""
                if not data:
                    break
                out.write(data)
                got += len(data)
                if progress is not None:
                    progress(got, expected)
            if expected is not None and got != expected:
                raise TransferError("dropped mid-transfer (" + str(got) + " of " + str(expected) + " bytes)")
            return got
        finally:
            conn.close()
    raise TransferError("too many redirects")


def _http_upload(scheme, parts, url, src, name, timeout_s, cafile):
    size = os.path.getsize(src)
    target = url.rstrip("/") + "/" + name
    _, tparts = _split(target)
    conn = _connection(scheme, tparts, timeout_s, cafile)
    try:
        headers = _headers(parts)
        headers["Content-Length"] = str(size)
        headers["Content-Type"] = "application/gzip"
        with open(src, "rb") as f:
            conn.request("PUT", _target(tparts), body=_chunks(f), headers=headers)
            resp = conn.getresponse()
            resp.read()
        if resp.status in (200, 201, 204):
            return target
        if resp.status != 405:
            raise _http_error(resp)
    finally:
        conn.close()
    return _http_post(scheme, parts, url, src, name, size, timeout_s, cafile)


def _http_post(scheme, parts, url, src, name, size, timeout_s, cafile):
    boundary = uuid.uuid4().hex
    head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
            "\"\r\nContent-Type: application/gzip\r\n\r\n").encode()
    tail = ("\r\n--" + boundary + "--\r\n").encode()
    conn = _connection(scheme, parts, timeout_s, cafile)
    try:
        headers = _headers(parts)
        headers["Content-Type"] = "multipart/form-data; boundary=" + boundary
        headers["Content-Length"] = str(len(head) + size + len(tail))
        with open(src, "rb") as f:
            def body():
                yield head
                for data in _chunks(f):
                    yield data
                yield tail
            conn.request("POST", _target(parts), body=body(), headers=headers)
            resp = conn.getresponse()
            resp.read()
        if resp.status not in (200, 201, 204):
            raise _http_error(resp)
        return url
    finally:
        conn.close()


def _chunks(f):
    while True:
        data = f.read(CHUNK)
        if not data:
            return
        yield data


# ---- the two entry points ----------------------------------------------------------------------------------------
def download(url, dest, timeout_s=60, cafile=None, progress=None):
    partial = dest + ".part"
    try:
        scheme, parts = _split(url)
        with open(partial, "wb") as out:
            if scheme in ("ftp", "ftps"):
                got = _ftp_download(scheme, parts, out, timeout_s, cafile, progress)
            else:
                got = _http_download(url, out, timeout_s, cafile, progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
        return got
    except Exception as e:
        try:
            os.remove(partial)
        except OSError:
            pass
        raise TransferError(_reason(e))


def upload(url, src, name, timeout_s=60, cafile=None):
    try:
        scheme, parts = _split(url)
        if scheme in ("ftp", "ftps"):
            return _ftp_upload(scheme, parts, src, name, timeout_s, cafile)
        return _http_upload(scheme, parts, url, src, name, timeout_s, cafile)
    except Exception as e:
        raise TransferError(_reason(e), _kind(e))
