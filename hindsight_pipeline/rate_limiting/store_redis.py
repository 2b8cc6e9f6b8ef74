"""The Redis store: each step is one Lua script, atomic in Redis, on Redis's own clock.

Per key, three Redis keys sharing a hash tag (so a cluster keeps them on one node):
``...:grants`` (sorted set of grant times), ``...:state`` (hash: paced, pause_until,
reset_at, left, seen_acq, seq) and ``...:waiters`` (sorted set: normal waiter -> retry time). The
scripts mirror :mod:`.key_state` step for step; the store tests run the same cases
against both. Times travel as strings with microseconds (``%.6f``): Lua would round a
number to 14 digits.
"""

from __future__ import annotations

import math
from typing import Any

import redis
from redis.commands.core import Script

from hindsight_pipeline.rate_limiting.key_state import AcquireDecision, AcquireRequest, KeyState
from hindsight_pipeline.rate_limiting.priority import (
    LOW_PRIORITY_YIELD_SECONDS,
    NORMAL_LEASE_GRACE_SECONDS,
    Priority,
)
from hindsight_pipeline.rate_limiting.store import (
    RateLimitStoreError,
    redact_url,
    validate_key_id,
)

KEY_PREFIX = "hindsight:rate_limit"
# Idle keys disappear on their own after this long (plus the span).
IDLE_EXPIRY_SECONDS = 3600
# Bounds on every network wait: without them a dead Redis host (no RST, packets dropped)
# holds the sender forever. A step is one short script, answered in well under a second;
# query parameters of the URL (``?socket_timeout=...``) take precedence.
SOCKET_CONNECT_TIMEOUT_SECONDS = 5.0
SOCKET_TIMEOUT_SECONDS = 5.0

_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function fmt(x) return string.format('%.6f', x) end
local function prune(span, grace)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - span))
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', fmt(now - grace))
  local reset = tonumber(redis.call('HGET', KEYS[2], 'reset_at') or '0')
  if now >= reset then redis.call('HDEL', KEYS[2], 'left') end
end
local function touch(ttl)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
"""

# ARGV: limit, span, priority, waiter, grace, yield, ttl_ms, pace, pace slack
_ACQUIRE = (
    _PRELUDE
    + """
local limit = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local low = ARGV[3] == 'low'
local waiter = ARGV[4]
prune(span, tonumber(ARGV[5]))
local pace = tonumber(ARGV[8])
local slack = math.max(pace, tonumber(ARGV[9]))
local st = redis.call('HMGET', KEYS[2], 'pause_until', 'reset_at', 'left', 'paced')
local pause = tonumber(st[1] or '0')
local reset = tonumber(st[2] or '0')
local left = st[3] and tonumber(st[3]) or nil
local paced = tonumber(st[4] or '0')
local blocked = false
local wait = 0
local reason = 'granted'
if pause > now then blocked = true; wait = pause - now; reason = 'paused' end
if left ~= nil and left <= 0 then
  local c = reset - now
  if (not blocked) or c > wait then blocked = true; wait = c; reason = 'server_exhausted' end
end
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local b = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  local c = tonumber(b[2]) + span - now
  if (not blocked) or c > wait then blocked = true; wait = c; reason = 'window_full' end
end
if pace > 0 and paced - slack > now then
  local c = paced - slack - now
  if (not blocked) or c > wait then blocked = true; wait = c; reason = 'paced' end
end
if low then
  local top = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  if top[2] then
    local base = 0
    if blocked then base = wait end
    wait = math.max(base, tonumber(top[2]) - now, 0) + tonumber(ARGV[6])
    blocked = true
    reason = 'yield_to_normal'
  end
end
if blocked then
  if wait < 0 then wait = 0 end
  if not low then redis.call('ZADD', KEYS[3], fmt(now + wait), waiter) end
  touch(tonumber(ARGV[7]))
  return {0, fmt(wait), fmt(now), reason}
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
redis.call('ZADD', KEYS[1], fmt(now), tostring(seq))
if pace > 0 then redis.call('HSET', KEYS[2], 'paced', fmt(math.max(paced, now) + pace)) end
if left ~= nil then redis.call('HSET', KEYS[2], 'left', left - 1) end
if redis.call('ZSCORE', KEYS[3], waiter) then redis.call('ZADD', KEYS[3], fmt(now), waiter) end
touch(tonumber(ARGV[7]))
return {1, '0', fmt(now), 'granted'}
"""
)

# ARGV: remaining, reset_at, acquired_at, span, tolerance, grace, ttl_ms
_SERVER_VIEW = (
    _PRELUDE
    + """
local remaining = tonumber(ARGV[1])
local reset_at = tonumber(ARGV[2])
local acquired_at = tonumber(ARGV[3])
prune(tonumber(ARGV[4]), tonumber(ARGV[6]))
if reset_at <= now then return 0 end
local st = redis.call('HMGET', KEYS[2], 'reset_at', 'left', 'seen_acq')
local cur = tonumber(st[1] or '0')
local known = cur > 0
local same = known and math.abs(reset_at - cur) <= tonumber(ARGV[5])
if known and (not same) and reset_at < cur then return 0 end
if same and st[2] and acquired_at < tonumber(st[3] or '0') then return 0 end
local since = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf')
local left = remaining - since
if left < 0 then left = 0 end
redis.call('HSET', KEYS[2], 'reset_at', ARGV[2], 'left', left, 'seen_acq', ARGV[3])
touch(tonumber(ARGV[7]))
return 1
"""
)

# ARGV: until, ttl_ms
_PAUSE = (
    _PRELUDE
    + """
local cur = tonumber(redis.call('HGET', KEYS[2], 'pause_until') or '0')
if tonumber(ARGV[1]) > cur then redis.call('HSET', KEYS[2], 'pause_until', ARGV[1]) end
touch(tonumber(ARGV[2]))
return 1
"""
)


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """Keys' states in Redis at ``url`` (``redis://[:password@]host:port/db``)."""

    def __init__(self, url: str, *, client: redis.Redis | None = None) -> None:
        self._display_url = redact_url(url)
        self._client = (
            client
            if client is not None
            else redis.Redis.from_url(
                url,
                socket_connect_timeout=SOCKET_CONNECT_TIMEOUT_SECONDS,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_keepalive=True,
            )
        )
        self._acquire: Script = self._client.register_script(_ACQUIRE)
        self._server_view: Script = self._client.register_script(_SERVER_VIEW)
        self._pause: Script = self._client.register_script(_PAUSE)

    def __repr__(self) -> str:
        return f"RedisStore({self._display_url!r})"

    @staticmethod
    def _keys(key_id: str) -> list[str]:
        base = f"{KEY_PREFIX}:{{{validate_key_id(key_id)}}}"
        return [f"{base}:grants", f"{base}:state", f"{base}:waiters"]

    @staticmethod
    def _ttl_ms(span_s: float) -> int:
        return math.ceil((IDLE_EXPIRY_SECONDS + 2 * span_s) * 1000)

    def _run(self, script: Script, key_id: str, args: list[Any]) -> Any:
        try:
            return script(keys=self._keys(key_id), args=args)
        except redis.RedisError as exc:
            raise RateLimitStoreError(
                f"the rate-limit store {self._display_url} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def acquire(self, key_id: str, request: AcquireRequest) -> AcquireDecision:
        reply = self._run(
            self._acquire,
            key_id,
            [
                request.limit,
                _fmt(request.span_s),
                request.priority.value,
                request.waiter_id,
                _fmt(NORMAL_LEASE_GRACE_SECONDS),
                _fmt(LOW_PRIORITY_YIELD_SECONDS if request.priority is Priority.LOW else 0.0),
                self._ttl_ms(request.span_s),
                _fmt(request.pace_s),
                _fmt(request.pace_slack_s),
            ],
        )
        granted, wait, now, reason = reply
        return AcquireDecision(
            granted=int(granted) == 1,
            wait_s=float(wait),
            now=float(now),
            reason=_text(reason),
        )

    def record_server_view(
        self,
        key_id: str,
        *,
        remaining: int,
        reset_at: float,
        acquired_at: float,
        span_s: float,
        same_window_tolerance_s: float,
    ) -> None:
        self._run(
            self._server_view,
            key_id,
            [
                int(remaining),
                _fmt(reset_at),
                _fmt(acquired_at),
                _fmt(span_s),
                _fmt(same_window_tolerance_s),
                _fmt(NORMAL_LEASE_GRACE_SECONDS),
                self._ttl_ms(span_s),
            ],
        )

    def pause(self, key_id: str, until: float) -> None:
        if math.isfinite(until):
            self._run(self._pause, key_id, [_fmt(until), self._ttl_ms(0.0)])

    def snapshot(self, key_id: str) -> KeyState:
        grants_key, state_key, waiters_key = self._keys(key_id)
        try:
            # The sync client's replies are typed as "sync or async": they are sync here.
            grants: Any = self._client.zrange(grants_key, 0, -1, withscores=True)
            fields: Any = self._client.hgetall(state_key)
            waiters: Any = self._client.zrange(waiters_key, 0, -1, withscores=True)
        except redis.RedisError as exc:
            raise RateLimitStoreError(f"the rate-limit store {self._display_url} failed") from exc

        def field(name: str) -> str | None:
            value = fields.get(name.encode())
            return None if value is None else _text(value)

        left = field("left")
        return KeyState(
            grants=sorted(score for _, score in grants),
            paced_until=float(field("paced") or 0.0),
            pause_until=float(field("pause_until") or 0.0),
            server_reset_at=float(field("reset_at") or 0.0),
            server_left=None if left is None else int(float(left)),
            server_seen_acquired_at=float(field("seen_acq") or 0.0),
            normal_waiters={_text(member): float(score) for member, score in waiters},
        )

    def now(self) -> float:
        reply: Any = self._client.time()
        seconds, micros = reply
        return float(seconds) + micros / 1_000_000

    def close(self) -> None:
        self._client.close()
