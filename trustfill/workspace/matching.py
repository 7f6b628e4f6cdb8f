"""One matching engine per knowledge-base state, built once and reused across runs and reruns."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from answerers import MatchingEngine, MatchSettings
from knowledge.model import Fact

_cache: OrderedDict[str, MatchingEngine] = OrderedDict()
_lock = threading.Lock()
_MAX = 4


def engine_for(facts: list[Fact], settings: MatchSettings) -> MatchingEngine:
    """Index building is the slow part; an unchanged library reuses the engine it already has."""
    digest = hashlib.sha256()
    digest.update(settings.model_dump_json().encode())
    for f in facts:
        digest.update(f"{f.id}\x00{f.version}\x00{f.status}\x00{f.product}\x01".encode())
    key = digest.hexdigest()
    with _lock:
        engine = _cache.get(key)
        if engine is not None:
            _cache.move_to_end(key)
            return engine
    engine = MatchingEngine(facts, settings)
    with _lock:
        _cache[key] = engine
        while len(_cache) > _MAX:
            _cache.popitem(last=False)
    return engine
