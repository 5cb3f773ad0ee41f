"""The microscope's calibration in words, as the instrument panel (and a session's description) shows it."""


def orientation_text(calibration):
    """'as stored' or e.g. 'mirrored in x, rotated 90 deg' (how the camera image maps onto the sample frame)."""
    parts = [f"mirrored in {axis}" for axis, flip in (("x", calibration.flip_x), ("y", calibration.flip_y)) if flip]
    if calibration.rotation_deg:
        parts.append(f"rotated {calibration.rotation_deg} deg")
    return ", ".join(parts) or "as stored (no flip, no rotation)"


def calibration_lines(calibration):
    """Four lines: pixel size (with binning), NV axis in the image frame (and as given), image orientation,
    where the values come from."""
    c = calibration
    binning = (f" ({c.pixel_size_unbinned_m * 1e6:.4g} µm × binning {c.binning})" if c.binning != 1 else
               " (no binning)")
    sense = "" if c.nv_sense == 1 else ", sense -1"
    return [f"Pixel at the sample: {c.pixel_size_m * 1e6:.4g} µm{binning}",
            f"NV axis in the image: polar {c.image_nv_polar_deg:.4g}°, azimuth {c.image_nv_azimuth_deg:.4g}° "
            f"(sample frame: {c.nv_polar_deg:.4g}°, {c.nv_azimuth_deg:.4g}°{sense})",
            f"Image orientation: {orientation_text(c)}",
            f"From: {c.source}"]
