"""One matching engine per knowledge-base state, built once and reused across runs and reruns: in
memory within a process, on disk (index_cache.py) across processes and app replicas."""

from __future__ import annotations

import threading
from collections import OrderedDict

from answerers import MatchingEngine, MatchSettings
from answerers.static import unpack_vectors_to
from knowledge.model import Fact
from trustfill.workspace import index_cache

_cache: OrderedDict[str, MatchingEngine] = OrderedDict()
_lock = threading.Lock()
_MAX = 4
# Answerers holding a loaded model (torch) are not worth pickling: the model loads faster than its pickle.
_NOT_CACHED_ON_DISK = {"semantic"}


def engine_for(facts: list[Fact], settings: MatchSettings) -> MatchingEngine:
    """Index building is the slow part; an unchanged library reuses the engine it already has."""
    folder = _disk_folder()
    key = index_cache.index_key(facts, settings, folder)
    with _lock:
        engine = _cache.get(key)
        if engine is not None:
            _cache.move_to_end(key)
            return engine
    engine = index_cache.load(folder, key, MatchingEngine) if folder is not None else None
    if engine is None:
        engine = MatchingEngine(facts, settings)
        if folder is not None and not {a.name for a in engine.answerers} & _NOT_CACHED_ON_DISK:
            engine.warm()  # what the first match would build from the library, cached with the index
            index_cache.store(folder, key, engine)
    with _lock:
        _cache[key] = engine
        while len(_cache) > _MAX:
            _cache.popitem(last=False)
    return engine


def _disk_folder():
    from trustfill import config

    try:
        folder = index_cache.cache_dir(config.home())
    except OSError:
        return None  # a read-only home: no disk cache, still correct
    unpack_vectors_to(folder)  # the static vectors memory-mapped from there, not inflated per run
    return folder
