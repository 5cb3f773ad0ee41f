"""Binning a field map whose pixels are much finer than the CNN's, so that its 32 x 32 snippets see the cell.

A snippet of 32 pixels of 0.65 um spans 21 um: a cell 20 um away has a field wider than that, and scaled to
the CNN's pixel (x2) it lies outside the heights it was trained on. Averaging k x k pixels (k the nearest
integer to trained / map pixel) gives a map at about the trained pixel with k times less noise per pixel, on
which the CNN runs at (nearly) its own scale. Binned pixel i covers map pixels k i .. k i + k - 1: its centre is
map pixel k i + (k - 1) / 2.
"""

import dataclasses

import numpy as np

MIN_RATIO = 1.5
"""Bin when the trained pixel is at least this many map pixels (0.87 um and finer for a 1.3 um CNN)."""


def bin_factor(pixel_size_m, trained_pixel_m):
    ratio = trained_pixel_m / pixel_size_m
    return int(round(ratio)) if ratio >= MIN_RATIO else 1


def bin_map(b_nv_map_t, k):
    """Mean of k x k blocks (rows and columns beyond a multiple of k dropped)."""
    m = np.asarray(b_nv_map_t, dtype=np.float64)
    rows, cols = (m.shape[0] // k) * k, (m.shape[1] // k) * k
    return m[:rows, :cols].reshape(rows // k, k, cols // k, k).mean(axis=(1, 3))


def to_binned_px(positions_px, k):
    return (np.asarray(positions_px, dtype=np.float64) - (k - 1) / 2.0) / k


def unbin_result(result, k, note):
    """A ``CellResult`` from the binned map with its positions and their errors in the original map's pixels."""
    return dataclasses.replace(
        result, row_px=k * result.row_px + (k - 1) / 2.0, col_px=k * result.col_px + (k - 1) / 2.0,
        row_px_err=k * result.row_px_err, col_px_err=k * result.col_px_err,
        snippet_row=int(k * result.snippet_row + (k - 1) // 2), snippet_col=int(k * result.snippet_col + (k - 1) // 2),
        cnn_note=(result.cnn_note + "; " if result.cnn_note else "") + note)
