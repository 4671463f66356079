"""The one outbound HTTP client: every call made on someone else's say-so goes through here (the
validation webhook, event deliveries, services' test calls and option lists, token endpoints,
an account's API host from a token response). The README ("Outbound calls: the guards")
says what each guard does for the operator.

API (kept stable; other modules only use these names):

- ``request(method, url, *, headers=None, data=None, json=None, auth=None, deadline=None,
  max_bytes=None) -> requests.Response``: the whole answer read (``.status_code``, ``.headers``,
  ``.content``, ``.json()``). ``deadline`` is seconds for the *whole* call (name resolution,
  connect, sending, every read); ``max_bytes`` caps the answer (default
  WIZARD_OUTBOUND_MAX_BYTES). Raises ``OutboundRefused`` (the address is not allowed),
  ``DeadlineExceeded``, ``TooLarge`` or another ``OutboundError``; all are
  ``requests.RequestException``s, ``DeadlineExceeded`` is also a ``requests.Timeout``.
- ``check_url(url) -> None``: raises ``OutboundRefused(reason)`` when a call to ``url`` would be
  refused (registration time: an endpoint, a ``validationUrl``). A name that does not resolve
  now is not refused here (the call will be checked again).
- ``guard_session(session) -> session``: mounts the guard on a ``requests.Session`` made by a
  library (Authlib's OAuth2Session): no redirect, guarded addresses, the byte cap, and the
  session's ``timeout`` becomes a total deadline.

The guards: the host name is resolved once and the connection goes to that address (the TLS
certificate is still checked against the name), so a name cannot resolve to a public address
for the check and an internal one for the call (DNS rebinding). Loopback, private, link-local,
unspecified, multicast, reserved and shared addresses, in every spelling (``2130706433``,
``127.1``, ``[::ffff:127.0.0.1]``), are refused unless WIZARD_OUTBOUND_ALLOW lists the host
name or a network holding the address. No redirect is followed; proxies from the environment
are not used; no cookies are kept.

Not through here: calls to the operator's own services named in the configuration, such as a
front end's remote core (WIZARD_CORE_URL, wizard/core/remote.py), which lives inside the network.

Why not a library: ``advocate`` (the requests wrapper for this) pins urllib3 < 2; this is a
requests transport adapter on urllib3's own connection classes.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

import certifi
import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection

DEFAULT_DEADLINE = 10.0
DEFAULT_MAX_BYTES = 1024 * 1024
# what development allows when WIZARD_OUTBOUND_ALLOW is not set (config.py)
LOOPBACK = ("127.0.0.0/8", "::1/128", "localhost")


class OutboundError(requests.RequestException):
    """An outbound call that did not give a whole answer; `reason` says why, for logs and people
    (never a credential)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OutboundRefused(OutboundError, requests.exceptions.InvalidURL):
    """The URL's address is not one this server calls (or the URL is not a URL it calls)."""


class DeadlineExceeded(OutboundError, requests.Timeout):
    """The whole call took longer than its deadline."""


class TooLarge(OutboundError):
    """The answer is longer than the byte cap."""


# -- settings -----------------------------------------------------------------------------------

def _settings() -> tuple[list, int]:
    """(allowed entries, max bytes) from the Flask app when there is one, else the defaults of
    production (nothing allowed)."""
    try:
        from flask import current_app
        cfg = current_app.config
    except RuntimeError:
        return [], DEFAULT_MAX_BYTES
    return allow_list(cfg.get("WIZARD_OUTBOUND_ALLOW") or ()), int(cfg.get("WIZARD_OUTBOUND_MAX_BYTES")
                                                                   or DEFAULT_MAX_BYTES)


def allow_list(entries) -> list:
    """WIZARD_OUTBOUND_ALLOW's entries: networks (CIDRs or single addresses) and host names."""
    out = []
    for entry in entries:
        entry = str(entry).strip().lower()
        if not entry or entry == "none":
            continue
        try:
            out.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            out.append(entry.rstrip("."))
    return out


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: on an IPv6-only host it reaches IPv4
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def _unmapped(ip):
    """The IPv4 address an IPv6 form stands for (mapped, 6to4, NAT64, IPv4-compatible), else ip."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):  # :: and ::1 stay IPv6
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(host: str, address: str, allowed: list) -> str | None:
    """Why calling `address` (resolved from `host`) is refused, or None when it may be called."""
    if host in [a for a in allowed if isinstance(a, str)]:
        return None
    ip = ipaddress.ip_address(address.split("%")[0])
    for candidate in {ip, _unmapped(ip)}:
        if any(isinstance(a, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and candidate.version == a.version
               and candidate in a for a in allowed):
            return None
    ip = _unmapped(ip)
    if ip.is_loopback:
        kind = "a loopback address"
    elif ip.is_unspecified:
        kind = "the unspecified address"
    elif ip.is_link_local:
        kind = "a link-local address"
    elif ip.is_multicast:
        kind = "a multicast address"
    elif ip.is_private or ip.is_reserved or getattr(ip, "is_site_local", False) or not ip.is_global:
        kind = "a private or reserved address"
    else:
        return None
    return f"{host} is {kind} ({ip}); list it in WIZARD_OUTBOUND_ALLOW to call it"


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL this client may call, else OutboundRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused("not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("a URL with a user name or password is not called")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise OutboundRefused("the URL names no host")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> str | None:
    """The address a host that is an address (in any spelling inet_aton takes, e.g. 2130706433,
    127.1, 0x7f.1) stands for, else None."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if all(c in "0123456789abcdefx." for c in host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` stands for (once: the call connects to one of these)."""
    literal = _literal(host)
    if literal:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundError(f"{host} could not be resolved") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def _checked(host: str, port: int, allowed: list) -> list[str]:
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal(host, address, allowed)
        if reason:
            raise OutboundRefused(reason)
    return addresses


def check_url(url: str) -> None:
    """Raise OutboundRefused(reason) when a call to `url` would be refused now. A name that does
    not resolve is let through (it is checked again at every call)."""
    _scheme, host, port = _split(url)
    allowed, _ = _settings()
    try:
        _checked(host, port, allowed)
    except OutboundRefused:
        raise
    except OutboundError:
        return


# -- the transport ------------------------------------------------------------------------------

class GuardedAdapter(BaseAdapter):
    """A requests transport that resolves once, checks the address, connects to it, and reads
    the answer whole within the deadline and the byte cap. `timeout` (what requests passes) is
    the total deadline: a number, or a (connect, read) pair whose sum is used."""

    def __init__(self, max_bytes: int | None = None):
        super().__init__()
        self.max_bytes = max_bytes

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if isinstance(timeout, tuple):
            timeout = sum(t for t in timeout if t)
        deadline = time.monotonic() + float(timeout or DEFAULT_DEADLINE)
        allowed, default_max = _settings()
        max_bytes = self.max_bytes or default_max
        scheme, host, port = _split(request.url)
        addresses = _checked(host, port, allowed)
        parts = urlsplit(request.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = dict(request.headers)
        default_port = 443 if scheme == "https" else 80
        headers["Host"] = host if port == default_port else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            headers["Host"] = f"[{host}]" if port == default_port else f"[{host}]:{port}"
        body = request.body.encode() if isinstance(request.body, str) else request.body
        last = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("no answer within the deadline")
            try:
                return self._exchange(request, scheme, host, address, port, path, headers, body, deadline,
                                      max_bytes, verify)
            except _ConnectFailed as exc:  # the next address, if any
                if time.monotonic() >= deadline:
                    raise DeadlineExceeded("no connection within the deadline") from None
                last = exc.reason
        raise OutboundError(f"{last}: could not connect to {host}")

    def _exchange(self, request, scheme, host, address, port, path, headers, body, deadline, max_bytes, verify):
        remaining = deadline - time.monotonic()
        if scheme == "https":
            conn = HTTPSConnection(address, port, timeout=remaining, server_hostname=host, assert_hostname=host,
                                   cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
                                   ca_certs=verify if isinstance(verify, str) else certifi.where())
        else:
            conn = HTTPConnection(address, port, timeout=remaining)
        try:
            try:
                conn.connect()
            except (OSError, urllib3.exceptions.HTTPError) as exc:
                raise _ConnectFailed(exc.__class__.__name__) from None
            # The watchdog: at the deadline the socket is shut, whatever read is waiting (a
            # receiver dripping its headers or body one byte at a time ends here).
            sock = conn.sock
            timer = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(sock,))
            timer.daemon = True
            timer.start()
            try:
                conn.request(request.method, path, body=body, headers=headers, preload_content=False)
                raw = conn.getresponse()
                content = _read(raw, max_bytes, deadline)
            except OutboundError:
                raise
            except Exception as exc:
                if time.monotonic() >= deadline - 0.01:
                    raise DeadlineExceeded("no whole answer within the deadline") from None
                raise OutboundError(f"{exc.__class__.__name__}: the answer was cut off") from None
            finally:
                timer.cancel()
        finally:
            conn.close()
        return _response(request, raw, content)

    def close(self):
        pass


class _ConnectFailed(OutboundError):
    """Connecting to one of the addresses failed (the next one is tried)."""


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _read(raw, max_bytes: int, deadline: float) -> bytes:
    """The answer's body, streamed: TooLarge past `max_bytes` (announced or read)."""
    length = raw.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"the answer is {int(length)} bytes, more than the {max_bytes} allowed")
    chunks, total = [], 0
    for chunk in raw.stream(16384, decode_content=True):
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"the answer is more than the {max_bytes} bytes allowed")
        if time.monotonic() > deadline:
            raise DeadlineExceeded("no whole answer within the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def _response(request, raw, content: bytes) -> requests.Response:
    resp = requests.Response()
    resp.status_code = raw.status
    resp.reason = raw.reason
    resp.headers = CaseInsensitiveDict(raw.headers)
    resp.encoding = get_encoding_from_headers(resp.headers)
    resp._content = content
    resp._content_consumed = True
    resp.url = request.url
    resp.request = request
    resp.raw = None
    return resp


def guard_session(session: requests.Session, max_bytes: int | None = None) -> requests.Session:
    """Put the guard on a requests Session (e.g. Authlib's OAuth2Session): every http(s) call goes
    through GuardedAdapter, a redirect is an error, the environment's proxies are not used."""
    adapter = GuardedAdapter(max_bytes)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.max_redirects = 0
    session.trust_env = False
    return session


def _session(max_bytes: int | None) -> requests.Session:
    session = guard_session(requests.Session(), max_bytes)
    # request() passes allow_redirects=False: a redirect is answered as it is, not an error
    session.max_redirects = requests.models.DEFAULT_REDIRECT_LIMIT
    return session


def request(method: str, url: str, *, headers=None, data=None, json=None, auth=None, deadline: float | None = None,
            max_bytes: int | None = None) -> requests.Response:
    """One call, guarded (see the module docstring); the answer read whole."""
    with _session(max_bytes) as session:
        return session.request(method, url, headers=headers, data=data, json=json, auth=auth,
                               timeout=deadline or DEFAULT_DEADLINE, allow_redirects=False)
