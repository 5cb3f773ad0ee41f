"""Cached numba kernels are removed when any source of the packages with kernels changed (numba itself checks a
kernel's own file only), and kept while nothing changed."""

from analysis.numba_cache import remove_stale_kernels


def _tree(root):
    (root / "analysis" / "__pycache__").mkdir(parents=True)
    (root / "instruments").mkdir()
    (root / "benchmarks").mkdir()
    (root / "analysis" / "fit.py").write_text("def f(): return 1\n")
    (root / "instruments" / "lines.py").write_text("def g(): return 2\n")
    kernel = root / "analysis" / "__pycache__" / "fit.f-1.py311.nbi"
    kernel.write_bytes(b"index")
    source_cache = root / "analysis" / "__pycache__" / "fit.cpython-311.pyc"
    source_cache.write_bytes(b"pyc")
    return kernel, source_cache


def test_kernels_are_removed_when_a_callee_file_changes_and_kept_otherwise(tmp_path):
    kernel, source_cache = _tree(tmp_path)
    assert remove_stale_kernels(tmp_path, cache_dir="") == 1  # no stamp: the cache's sources are unknown
    kernel.write_bytes(b"index")  # compiled again from these sources
    assert remove_stale_kernels(tmp_path, cache_dir="") == 0 and kernel.exists()
    (tmp_path / "instruments" / "lines.py").write_text("def g(): return 3\n")  # another file than the kernel's
    assert remove_stale_kernels(tmp_path, cache_dir="") == 1
    assert not kernel.exists() and source_cache.exists()  # only numba's files


def test_a_numba_cache_dir_is_cleaned_where_numba_mirrors_the_sources(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    root.mkdir()
    _tree(root)
    mirrored = cache / str((root / "analysis").resolve()).lstrip("/") / "fit.f-1.py311.nbc"
    mirrored.parent.mkdir(parents=True)
    mirrored.write_bytes(b"code")
    other_project = cache / "elsewhere" / "their.k-1.py311.nbc"
    other_project.parent.mkdir(parents=True)
    other_project.write_bytes(b"code")
    assert remove_stale_kernels(root, cache_dir=str(cache)) == 1
    assert not mirrored.exists() and other_project.exists()
