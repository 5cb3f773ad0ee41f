"""numba's disk cache kept in step with the sources: a kernel is never loaded from a cache older than its code.

numba keys a cached kernel on its own source file only (its documented limit): a kernel whose callee in another
file changed (the ODMR model calls ``analysis.physics``' line shapes, the fit driver the LM core) would load the
machine code compiled with the old callee. So ``python -m analysis.warmup`` (which ``make run`` / ``make test``
run after any source changed) first compares a hash of the sources of every package with numba kernels to the
one it stored beside the cache, and removes the cached kernels when they differ; it then compiles afresh.
"""

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analysis", "instruments", "benchmarks")
"""The packages with numba kernels (``cache=True``); their sources are hashed and their caches removed together."""
STAMP_NAME = "nvscope-sources.sha256"
CACHE_SUFFIXES = (".nbi", ".nbc")


def sources_hash(root=ROOT):
    """SHA-256 over the path and contents of every .py file of ``PACKAGES`` under ``root``."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((Path(root) / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _mirrored(cache_dir, path):
    """Where numba keeps what it caches for sources in ``path`` under ``cache_dir``: at their absolute path."""
    return Path(cache_dir) / str(Path(path).resolve()).lstrip(os.sep)


def cache_folders(root=ROOT, cache_dir=None):
    """Where numba keeps the packages' cached kernels: ``__pycache__`` beside the sources, or under
    ``cache_dir`` (``NUMBA_CACHE_DIR``) at the sources' absolute path, as numba mirrors it there."""
    if cache_dir:
        return [_mirrored(cache_dir, Path(root) / package) for package in PACKAGES]
    return [Path(root).resolve() / package for package in PACKAGES]


def _stamp_path(root, cache_dir):
    if cache_dir:
        return _mirrored(cache_dir, root) / STAMP_NAME
    return Path(root) / "analysis" / "__pycache__" / STAMP_NAME


def remove_stale_kernels(root=ROOT, cache_dir=None):
    """Remove every cached kernel of the packages if their sources changed since the last call (or no call left a
    stamp, and cached kernels exist); returns how many files were removed. ``cache_dir`` defaults to
    ``NUMBA_CACHE_DIR``."""
    cache_dir = cache_dir if cache_dir is not None else os.environ.get("NUMBA_CACHE_DIR") or None
    stamp = _stamp_path(root, cache_dir)
    current = sources_hash(root)
    try:
        if stamp.read_text().strip() == current:
            return 0
    except OSError:
        pass  # no stamp yet: whatever is cached may be from other sources
    removed = 0
    for folder in cache_folders(root, cache_dir):
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            in_cache = cache_dir or path.parent.name == "__pycache__"
            if path.suffix in CACHE_SUFFIXES and in_cache and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return removed
