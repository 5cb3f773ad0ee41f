"""HDF5 dimension scales, so that netCDF readers (xarray with engine="h5netcdf", netCDF4, MATLAB's ncread)
see named dimensions with coordinates instead of phony_dim_*.

Every array gets named dimensions: ``freq_hz`` (the step frequencies, Hz) for per-step axes, ``y_m`` and
``x_m`` (pixel centres at the sample, m) for frame-shaped axes, ``cell`` for the cell table's rows, and
``<array>_axis<i>`` (an index) for any other axis. Coordinates are datasets of the group (or of a parent
group) marked as HDF5 dimension scales; nvscope's readers skip them (``is_scale``). Scales are made when a
group is written (before SWMR mode forbids new objects); object copies between files lose the links, so
``copy_scales`` re-makes them after ``compact_session``.
"""

import h5py
import numpy as np

_LINK_ATTRS = ("DIMENSION_LIST", "REFERENCE_LIST")


def is_scale(attrs):
    """True for the attributes of a dimension-scale dataset (a coordinate, not a result)."""
    value = attrs.get("CLASS")
    return (value.decode() if isinstance(value, bytes) else value) == "DIMENSION_SCALE"


def make_scale(group, name, values, units, description):
    """A coordinate dataset ``name`` in ``group`` (kept if there; renamed ``name_coord`` if a result has
    the name)."""
    if name in group and not is_scale(group[name].attrs):
        name = f"{name}_coord"
    if name in group:
        return group[name]
    dataset = group.create_dataset(name, data=values)
    dataset.attrs.update({"units": units, "description": description})
    dataset.make_scale(name)
    return dataset


def pixel_scales(group, shape, pixel_size_m, prefix=""):
    """The (y_m, x_m) coordinates (names with ``prefix``) of the pixel centres of frames of ``shape``; for a
    session that records no pixel size (nvscope assumes none), (y_px, x_px) pixel indices instead."""
    if pixel_size_m is None:
        axes = ((prefix + "y_px", shape[0], "row index"), (prefix + "x_px", shape[1], "column index"))
        return tuple(make_scale(group, name, np.arange(n, dtype=np.int64), "pixel", f"{what} of the pixels (the "
                                "session records no pixel size)") for name, n, what in axes)
    size = float(pixel_size_m)
    axes = ((prefix + "y_m", shape[0], "row position"), (prefix + "x_m", shape[1], "column position"))
    return tuple(make_scale(group, name, np.arange(n) * size, "m", f"{what} of the pixel centres at the sample, "
                            f"pixel (0, 0) at 0 (pixel size {size:g} m)") for name, n, what in axes)


def label_array(dataset, frame_shape, pixel, leading=None):
    """Attach a scale to every axis of ``dataset``: axis 0 to ``leading`` when its length matches, a pair of
    axes of ``frame_shape`` to ``pixel`` (y_m, x_m), any other axis to an index scale of its own."""
    shape, group = dataset.shape, dataset.parent
    name = dataset.name.rsplit("/", 1)[-1]
    axis = 0
    if leading is not None and shape and shape[0] == leading.shape[0] and tuple(shape) != tuple(frame_shape or ()):
        dataset.dims[0].attach_scale(leading)
        axis = 1
    while axis < len(shape):
        if pixel is not None and tuple(shape[axis:axis + 2]) == tuple(frame_shape):
            dataset.dims[axis].attach_scale(pixel[0])
            dataset.dims[axis + 1].attach_scale(pixel[1])
            axis += 2
            continue
        index = make_scale(group, f"{name}_axis{axis}", np.arange(shape[axis], dtype=np.int64), "1",
                           f"index along axis {axis} of {name}")
        dataset.dims[axis].attach_scale(index)
        axis += 1


def label_group(group, frame_shape=None, pixel_size_m=None, leading=None, pixel=None):
    """Label every array of ``group`` (not of its subgroups; see ``label_array``). ``frame_shape``: the shape
    of its maps (default: that of its first array of 2 or more dimensions); ``pixel``: existing (y_m, x_m)
    scales to use instead of making them here."""
    arrays = [obj for obj in group.values() if isinstance(obj, h5py.Dataset) and obj.shape
              and not is_scale(obj.attrs)]
    if frame_shape is None:
        maps = [a.shape[-2:] for a in arrays if a.ndim >= 2]
        frame_shape = maps[0] if maps else None
    if pixel is None and frame_shape is not None:
        pixel = pixel_scales(group, frame_shape, pixel_size_m)
    for dataset in arrays:
        label_array(dataset, frame_shape, pixel, leading)


def label_session(h5file, acquisition, journal, truth, frame_shape, sample_json):
    """Label a new session's acquisition arrays (freq_hz, y_m, x_m), its journal and its truth."""
    import json

    sample = json.loads(sample_json)
    freq = acquisition["freq_hz"]
    freq.make_scale("freq_hz")
    pixel_size_m = sample.get("pixel_size_m") if isinstance(sample, dict) else None
    pixel = pixel_scales(acquisition, frame_shape, pixel_size_m)
    label_group(acquisition, frame_shape, leading=freq, pixel=pixel)
    label_group(journal, frame_shape, pixel=pixel)  # netCDF: a group sees its parents' dimensions
    if truth is not None:  # not below /acquisition: its own coordinates
        label_group(truth, frame_shape, pixel_size_m)


def map_pixel_size_m(h5file, settings):
    """Pixel size of a result's maps: its settings' pixel_size_m, else the sample's times the binning, or None."""
    import json

    if (settings or {}).get("pixel_size_m"):
        return float(settings["pixel_size_m"])
    try:
        sample = json.loads(h5file["metadata/sample"].asstr()[()])
    except (KeyError, ValueError, TypeError):
        return None
    size = sample.get("pixel_size_m") if isinstance(sample, dict) else None
    return float(size) * int((settings or {}).get("binning", 1) or 1) if size else None


def copy_scales(source, target):
    """Re-make in ``target`` (a copy made with h5py's copy) the dimension-scale links of ``source``."""
    links = []

    def collect(_, obj):
        if isinstance(obj, h5py.Dataset) and "DIMENSION_LIST" in obj.attrs:
            links.append((obj.name, [[scale.name for scale in dim.values()] for dim in obj.dims]))

    source.visititems(collect)
    if not links:
        return
    stale = []
    target.visititems(lambda _, obj: stale.append(obj) if isinstance(obj, h5py.Dataset) else None)
    for dataset in stale:
        for attr in _LINK_ATTRS:
            if attr in dataset.attrs:
                del dataset.attrs[attr]
    for name, dims in links:
        for axis, scales in enumerate(dims):
            for scale in scales:
                target[name].dims[axis].attach_scale(target[scale])
