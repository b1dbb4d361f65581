"""Sizes and ranges every interface enforces on input (REST DTOs and the WebSocket decoder)."""

from __future__ import annotations

INT32_MAX = 2**31 - 1
ID_MAX = 64  # entity ids are UUIDs (36); a little slack for clients' own ids in filters
USER_ID_MAX = 255
KEY_MAX = 10
TITLE_MAX = 500
NAME_MAX = 255
TEXT_MAX = 65_536
STATUS_MAX = 40
TIMESTAMP_MAX = 253_402_300_799  # 9999-12-31T23:59:59Z
STORY_POINTS_MAX = 1000
