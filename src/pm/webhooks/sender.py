"""One delivery attempt: resolve and check the target, sign, POST, report what happened.

The target's addresses are resolved and checked at every attempt (not only when the
subscription is made: DNS can change), and the request goes to the checked address, the
URL's host kept in the Host header and for TLS (SNI and certificate), so a second lookup
cannot redirect it. Redirects are never followed.

The client is aiohttp's: an attempt costs it about a tenth of the CPU httpx takes (75 µs
against 480-700 µs per POST on loopback, measured 2026-12-02), and the sender shares the
server's core with the requests.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from pm.core import webhooks as rules
from pm.core.errors import InvalidInput
from pm.core.records import record
from pm.core.webhooks import Delivery, Webhook
from pm.service.webhooks import Outcome, resolve

USER_AGENT = "pm-webhooks/1"


@record
class SenderConfig:
    """How attempts are made."""

    timeout: float = 15.0
    allow_private: bool = False


def _retry_after(response: aiohttp.ClientResponse) -> int | None:
    if response.status not in (429, 503):
        return None
    value = response.headers.get("retry-after", "")
    return min(int(value), 86400) if value.isdigit() else None


class Sender:
    """Makes attempts with one shared connection pool (opened on the first attempt, inside
    the running loop)."""

    def __init__(self, config: SenderConfig) -> None:
        self.config = config
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,  # no proxy from the environment: the checked address is used
            )
        return self._http

    async def close(self) -> None:
        """Close the pool."""
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _target(self, url: str) -> tuple[URL, str]:
        """(URL with the checked address in place of the host, the Host header), or
        InvalidInput. TLS is checked against the URL's host (`server_hostname`)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"  # an IPv6 literal, bracketed in the Host header as in the URL
        address = (await resolve(url, self.config.allow_private))[0]
        target = URL.build(
            scheme=parts.scheme,
            host=address,
            port=parts.port,
            path=parts.path or "/",
            query_string=parts.query,
            encoded=True,
        )
        return target, host if parts.port is None else f"{host}:{parts.port}"

    async def send(self, webhook: Webhook, delivery: Delivery, now: int) -> Outcome:
        """Attempt the delivery once."""
        body = delivery.body.encode()
        msg_id = f"msg_{delivery.id}"
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(now),
            "webhook-signature": rules.sign(rules.active_secrets(webhook, now), msg_id, now, body),
        }
        started = time.monotonic()
        try:
            url, headers["host"] = await self._target(webhook.url)
            async with self._session().post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                server_hostname=urlsplit(webhook.url).hostname,
            ) as response:
                head = b""
                while len(head) < rules.EXCERPT:  # a large answer is not read whole
                    chunk = await response.content.read(rules.EXCERPT - len(head))
                    if not chunk:
                        break
                    head += chunk
                status = response.status
                retry_after = _retry_after(response)
        except InvalidInput as exc:
            return Outcome(None, _ms(started), None, f"refused target: {exc.message}")
        except TimeoutError:
            return Outcome(None, _ms(started), None, f"no answer within {self.config.timeout} s")
        except aiohttp.ClientError as exc:
            return Outcome(None, _ms(started), None, f"connection failed: {exc!r}"[:500])
        excerpt = head[: rules.EXCERPT].decode("utf-8", errors="replace")
        return Outcome(status, _ms(started), excerpt, None, retry_after)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
