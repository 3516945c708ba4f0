"""Read a live page (terms, privacy policy, a hosted form) for the checker, safely.

Started by an admin, never by a visitor. Only http(s) on the standard ports; every address
the host resolves to must be public (no loopback, private, link-local or reserved address,
so the fetch cannot be turned on this server's own network), and the connection goes to the
address that was checked. Redirects are followed by hand, each checked the same way, at most
three; a page is read for at most ``TIMEOUT`` seconds and ``LIMIT`` bytes. The page's text is
returned without markup.
"""

from __future__ import annotations

import ipaddress
import socket
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
LIMIT = 2 * 1024 * 1024
REDIRECTS = 3


class FetchError(ValueError):
    """The page could not be read, in words an admin can act on."""


def public_addresses(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"{host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise FetchError(f"{host} points at a private or local address ({address}); only "
                             "public pages are read")
    return addresses


def live_pages(brand) -> tuple[dict[str, str], list[str]]:
    """The text of the brand's live terms and privacy pages, and why any could not be read."""
    pages, errors = {}, []
    for name, url in (("terms", brand.terms_url), ("privacy", brand.privacy_policy_url)):
        if not url:
            errors.append(f"The brand has no {name} URL to read.")
            continue
        try:
            pages[name] = fetch_text(url)
        except FetchError as error:
            errors.append(f"{name.capitalize()}: {error}")
    return pages, errors


def fetch_text(url: str, *, client: httpx.Client | None = None) -> str:
    """The visible text of the page at ``url``; :class:`FetchError` if it cannot be read."""
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        for _ in range(REDIRECTS + 1):
            response = _get(client, url)
            if response.is_redirect:
                url = urljoin(url, response.headers.get("location", ""))
                continue
            if response.status_code != 200:
                raise FetchError(f"{url} answered {response.status_code}")
            return page_text(response.content.decode(response.encoding or "utf-8", "replace"))
        raise FetchError(f"{url} redirects more than {REDIRECTS} times")
    finally:
        if own:
            client.close()


def _get(client: httpx.Client, url: str) -> httpx.Response:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url!r} is not an http(s) address")
    if parts.port not in (None, 80, 443):
        raise FetchError(f"{url}: only the standard web ports are read")
    host = parts.hostname
    address = public_addresses(host)[0]
    pinned = f"[{address}]" if ":" in address else address
    target = urlunsplit((parts.scheme, pinned + (f":{parts.port}" if parts.port else ""),
                         parts.path or "/", parts.query, ""))
    request = client.build_request("GET", target, headers={
        "Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": "Consentdesk registration check",
        "Accept": "text/html,text/plain"}, extensions={"sni_hostname": host})
    try:
        response = client.send(request, stream=True)
    except httpx.HTTPError as error:
        raise FetchError(f"{url} could not be read ({type(error).__name__})") from None
    try:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > LIMIT:
                raise FetchError(f"{url} is larger than {LIMIT // 1024 // 1024} MB")
    except httpx.HTTPError as error:
        raise FetchError(f"{url} could not be read ({type(error).__name__})") from None
    finally:
        response.close()
    response._content = bytes(body)
    return response


class _Text(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    BLOCK = {"p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
             "article", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "a" and not self.skipping:
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.parts.append(f" {href} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    """Visible text of an HTML page (plain text passes through), one block per line, with
    the addresses its links point at kept beside their words."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
