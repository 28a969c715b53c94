"""The journal of a shared world: one bounded log in Redis, one global sequence.

Every process numbers its exchanges from one counter (`nemo:jseq`, INCR: the number is taken when
the request arrives, in the round trip that catches up with the world) and writes each entry when
its answer ends (a stream's entry also when its answer starts, so a running turn is visible). The
entries live in a hash by number, ordered by a sorted set; the `_PUSH` script appends and evicts
the oldest beyond the entry and byte bounds in one step, counting what it dropped. Any process
answers `/_mock/journal` with every process's exchanges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from nemo_mock.server.journal import ENTRY_BYTES, Journal, ready
from nemo_mock.server.strict_json import dumps

if TYPE_CHECKING:
    from nemo_mock.server.stores.redis_aio import AsyncRedis

# keys (stores/redis.py Keys.journal): seq (the counter), log (seq -> entry JSON), order (sorted
# set of seqs), cost (seq -> bytes it counts for), bytes, dropped
_PUSHED = ("log", "order", "cost", "bytes", "dropped")
_COST = "_cost"  # set by `add`, taken by the first push

_PUSH = """
local seq = ARGV[1]
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], seq, ARGV[2])
  redis.call('ZADD', KEYS[2], seq, seq)
  redis.call('HSET', KEYS[3], seq, ARGV[3])
  local bytes = redis.call('INCRBY', KEYS[4], ARGV[3])
  local n = redis.call('ZCARD', KEYS[2])
  local size, maxb = tonumber(ARGV[5]), tonumber(ARGV[6])
  while n > 1 and (n > size or bytes > maxb) do
    local old = redis.call('ZPOPMIN', KEYS[2])[1]
    local c = tonumber(redis.call('HGET', KEYS[3], old) or '0')
    redis.call('HDEL', KEYS[1], old)
    redis.call('HDEL', KEYS[3], old)
    bytes = redis.call('DECRBY', KEYS[4], c)
    redis.call('INCR', KEYS[5])
    n = n - 1
  end
elseif redis.call('HEXISTS', KEYS[3], seq) == 1 then
  redis.call('HSET', KEYS[1], seq, ARGV[2])
end
return 1
"""


class SharedJournal(Journal):
    """A Journal whose entries every process of a shared world writes and reads."""

    def __init__(
        self,
        client: Any,
        keys: dict[str, str],
        size: int,
        max_bytes: int = 64 * 1024 * 1024,
        aio: Callable[[], AsyncRedis] | None = None,
    ) -> None:
        super().__init__(size, max_bytes)
        self.redis, self.keys, self.aio = client, keys, aio
        self._pushed = [keys[name] for name in _PUSHED]
        self.reserved: int | None = None  # a number taken ahead (shared.SharedMiddleware)
        self._push = client.register_script(_PUSH)

    # the base class keeps these as attributes; here they live in Redis
    @property
    def dropped(self) -> int:
        return int(self.redis.get(self.keys["dropped"]) or 0)

    @dropped.setter
    def dropped(self, value: int) -> None:
        pass

    @property
    def bytes(self) -> int:
        return int(self.redis.get(self.keys["bytes"]) or 0)

    @bytes.setter
    def bytes(self, value: int) -> None:
        pass

    def add(self, entry: dict[str, Any], header_bytes: int = 0) -> dict[str, Any]:
        """Number `entry` (written by `push` when its answer starts or ends)."""
        seq, self.reserved = self.reserved, None
        entry["seq"] = int(seq if seq else self.redis.incr(self.keys["seq"]))
        entry[_COST] = ENTRY_BYTES + header_bytes
        return entry

    def push(self, entry: dict[str, Any]) -> None:
        """Write `entry` as it is now (the first write appends it and evicts the oldest)."""
        if entry.get("seq"):  # numbered by add (0: not yet)
            self._push(keys=self._pushed, args=self._push_args(entry))

    async def apush(self, entry: dict[str, Any]) -> None:
        """`push` on the event loop's connection."""
        if not entry.get("seq"):
            return
        if self.aio is None:
            self.push(entry)
            return
        await self.aio().call("journal_push", _PUSH, self._pushed, self._push_args(entry))

    def _push_args(self, entry: dict[str, Any]) -> list[Any]:
        cost = entry.pop(_COST, None)
        ready(entry)
        body = {k: v for k, v in entry.items() if k != "seq"}
        try:
            raw = orjson.dumps(body)
        except TypeError:
            raw = dumps(body)
        first = "1" if cost is not None else "0"
        return [entry["seq"], raw, cost or 0, first, self.size, self.max_bytes]

    def clear(self) -> None:
        """Forget every entry of every process (numbers keep growing)."""
        self.redis.delete(*self._pushed)

    def __len__(self) -> int:
        return int(self.redis.zcard(self.keys["order"]))

    def rows(self) -> list[dict[str, Any]]:
        """Every entry, in number order (already redacted)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrange(self.keys["order"], 0, -1)
        pipe.hgetall(self.keys["log"])
        order, log = pipe.execute()
        out = []
        for seq in order:
            raw = log.get(seq)
            if raw is not None:
                entry = orjson.loads(raw)
                entry["seq"] = int(seq)
                out.append(entry)
        return out

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())
