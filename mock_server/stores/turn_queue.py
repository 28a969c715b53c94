"""Turns of one session run one at a time across processes, in arrival order (a Redis list).

A turn takes a ticket (`<process>:<n>`, RPUSH onto `<prefix>turns:<session>`) when its request
arrives and runs when its ticket is first in the list; it removes the ticket when it ends. Each
process keeps a liveness key (`<prefix>alive:<process>`, renewed every second by its follower
thread): a ticket left first by a process that died is dropped by the next waiter, so a crash
never blocks a session.
"""

from __future__ import annotations

import itertools
from typing import Any

from nemo_mock.server.stores.redis import ALIVE_MS

# 1 when ARGV[1] may run: first in the list (tickets of dead processes are dropped on the way)
_FIRST = """
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if (not head) or head == ARGV[1] then return 1 end
  local owner = string.match(head, '^([^:]+):')
  if owner and redis.call('EXISTS', ARGV[2] .. owner) == 1 then return 0 end
  redis.call('LPOP', KEYS[1])
end
"""


class TurnQueue:
    """The cross-process turn queues of one shared world."""

    def __init__(self, client: Any, owner: str, turns: str, alive: str) -> None:
        self.redis, self.owner = client, owner
        self._queue, self._alive = turns, alive  # key prefixes (stores/redis.py Keys)
        self._n = itertools.count(1)
        self._first = client.register_script(_FIRST)

    def alive(self) -> None:
        """Renew this process's liveness (every ALIVE_MS / 3 at least)."""
        self.redis.set(self._alive + self.owner, 1, px=ALIVE_MS)

    def enqueue(self, session_id: str) -> str:
        """A ticket for a new turn of `session_id`, last in line."""
        ticket = f"{self.owner}:{next(self._n)}"
        self.redis.rpush(self._queue + session_id, ticket)
        return ticket

    def first(self, session_id: str, ticket: str) -> bool:
        """The turn holding `ticket` may run now."""
        return bool(self._first(keys=[self._queue + session_id], args=[ticket, self._alive]))

    def done(self, session_id: str, ticket: str) -> None:
        """The turn ended (or was cut while waiting): the next one may run."""
        self.redis.lrem(self._queue + session_id, 1, ticket)
