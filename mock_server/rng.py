"""Seeded randomness and ids: every decision draws from an RNG derived from (seed, entity...).

Interleaving of requests does not change an entity's outcomes, and a rerun with the same seed and
the same requests reproduces the same ids and decisions.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import uuid
from collections import Counter


def _digest(seed: int, parts: tuple[object, ...]) -> bytes:
    text = "\x1f".join([str(seed), *map(str, parts)])
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def derive(seed: int, *parts: object) -> random.Random:
    """An RNG for one entity: the same (seed, parts) always gives the same stream."""
    return random.Random(int.from_bytes(_digest(seed, parts), "big"))


class Ids:
    """Deterministic ids: the n-th id of a kind depends only on (seed, kind, n)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counts: Counter[str] = Counter()

    def hex(self, kind: str, length: int = 32) -> str:
        """The next id of `kind` as hex of `length` characters (max 32)."""
        self.counts[kind] += 1
        return _digest(self.seed, ("id", kind, self.counts[kind])).hex()[:length]

    def uuid(self, kind: str) -> str:
        """The next id of `kind` shaped as a UUID (version 4 bits set)."""
        self.counts[kind] += 1
        raw = bytearray(_digest(self.seed, ("id", kind, self.counts[kind])))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(raw)))


class Secrets:
    """Values that grant access (bearer tokens, claim tokens, media names): HMAC-SHA256 of
    (kind, n) under a 256-bit key from `secrets`, so they cannot be guessed from the seed or from
    each other. A new Secrets (a reset) draws a new key, so old values are never handed out again.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self.counts: Counter[str] = Counter()

    def hex(self, kind: str, length: int = 32) -> str:
        """The next secret of `kind` as hex of `length` characters (max 64)."""
        self.counts[kind] += 1
        msg = f"{kind}\x1f{self.counts[kind]}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:length]
