"""Put back together the refinements of disjoint subsets of the snippets (cells refined with the CNN and
cells refined by the physics fit alone) as one ``SnippetFits`` in the original order."""

import dataclasses

import numpy as np

from .refine import SnippetFits


def _place(values, parts_values, n):
    first = parts_values[0]
    if isinstance(first, np.ndarray):
        out = np.zeros((n, *first.shape[1:]), dtype=first.dtype)
        for idx, v in zip(values, parts_values, strict=True):
            out[idx] = v
        return out
    out = [None] * n
    for idx, v in zip(values, parts_values, strict=True):
        for j, i in enumerate(idx):
            out[i] = v[j]
    return out


def merge_fits(parts, n):
    """parts: list of (indices (k,), SnippetFits of those k snippets); returns the SnippetFits of all n."""
    if len(parts) == 1 and len(parts[0][0]) == n and np.array_equal(parts[0][0], np.arange(n)):
        return parts[0][1]
    indices = [idx for idx, _ in parts]
    merged = {}
    for f in dataclasses.fields(SnippetFits):
        items = [getattr(fits, f.name) for _, fits in parts]
        if f.name == "physics_only":
            keys = set.intersection(*(set(d) for d in items))
            merged[f.name] = {k: _place(indices, [np.asarray(d[k]) for d in items], n) for k in keys}
        elif f.name == "disagree":
            merged[f.name] = _place(indices, [np.zeros(len(i), bool) if d is None else np.asarray(d, dtype=bool)
                                              for i, d in zip(indices, items, strict=True)], n)
        else:
            merged[f.name] = _place(indices, [np.asarray(v) if isinstance(v, np.ndarray) else v for v in items], n)
    return SnippetFits(**merged)
