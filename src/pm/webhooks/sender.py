"""One delivery attempt: resolve and check the target, sign, POST, report what happened.

The target's addresses are resolved and checked at every attempt (not only when the
subscription is made: DNS can change), and the request goes to the checked address, the
URL's host kept in the Host header and for TLS (SNI and certificate), so a second lookup
cannot redirect it. Redirects are never followed.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

import httpx

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


def _retry_after(response: httpx.Response) -> int | None:
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "")
    return min(int(value), 86400) if value.isdigit() else None


class Sender:
    """Makes attempts with one shared connection pool."""

    def __init__(self, config: SenderConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            follow_redirects=False,
            timeout=config.timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the pool."""
        await self._http.aclose()

    async def _target(self, url: str) -> tuple[str, str]:
        """(URL with the checked address in place of the host, the host), or InvalidInput."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = (await resolve(url, self.config.allow_private))[0]
        netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), host

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
            url, host = await self._target(webhook.url)
            port = urlsplit(webhook.url).port
            headers["host"] = host if port is None else f"{host}:{port}"
            async with self._http.stream(
                "POST", url, content=body, headers=headers, extensions={"sni_hostname": host}
            ) as response:
                head = b""
                async for chunk in response.aiter_bytes():  # a large answer is not read whole
                    head += chunk
                    if len(head) >= rules.EXCERPT:
                        break
        except InvalidInput as exc:
            return Outcome(None, _ms(started), None, f"refused target: {exc.message}")
        except httpx.TimeoutException:
            return Outcome(None, _ms(started), None, f"no answer within {self.config.timeout} s")
        except httpx.HTTPError as exc:
            return Outcome(None, _ms(started), None, f"connection failed: {exc!r}"[:500])
        excerpt = head[: rules.EXCERPT].decode("utf-8", errors="replace")
        return Outcome(response.status_code, _ms(started), excerpt, None, _retry_after(response))


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
