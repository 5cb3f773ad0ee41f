"""Running the CNN on a map whose pixel size or NV axis differ from the ones it was trained for.

Two exact symmetries of the point-dipole B_NV map (docs/cells.md, "Other microscopes"):

- scale: B(lambda r; lambda^3 m) = B(r; m). A 32 x 32 snippet at pixel p *is* a snippet at the trained pixel
  p_t of a cell with every length scaled by s^-1 = p_t / p and iron mass by s^-3. The pixel values and the
  noise are unchanged, so the CNN runs on the snippet as it is and its lengths are multiplied by s = p / p_t,
  its mass by s^3 (positions in pixels stay). This holds while the scaled cell lies inside the training
  ranges, which ``usable.outside_training_reason`` tests.
- the NV azimuth: the field is covariant under rotations and mirrors, and the moments follow the axis, so a
  map whose axis is the trained one carried by one of the square's 8 symmetries (90-degree rotations,
  mirrors) is the trained map carried the same way. The snippet is carried back to the trained azimuth, the
  CNN run, and x, y carried forward. Only azimuths trained + k 90 deg at the trained polar angle qualify.

Anything else (another polar angle: not a [100] diamond; an azimuth between) has no exact map to the trained
case: ``cnn_frame`` returns the reason, and the analysis falls back to the physics fit alone.
"""

from dataclasses import dataclass

import numpy as np

from .snippets import SNIPPET_SIZE

ANGLE_TOL_DEG = 0.5
"""An axis within this of a symmetric image of the trained one is taken as that image (a calibration's
azimuth is not known better than about a degree)."""
_CENTRE = (SNIPPET_SIZE - 1) / 2.0  # the array ops below mirror about the array centre, 15.5
_REFERENCE = SNIPPET_SIZE // 2  # the CNN's reference pixel, 16


def _op(k, mirror):
    def op(a):
        a = a[..., :, ::-1] if mirror else a
        return np.rot90(a, k, axes=(-2, -1))
    return op


def _ops():
    """The 8 symmetries of the square as (name, array op, 2x2 matrix M): op(snippet) is the snippet with every
    point (x, y) about the array centre moved to M (x, y); the identity first."""
    out = []
    for mirror in (False, True):
        for k in range(4):
            op = _op(k, mirror)
            out.append((f"{'mirror x, ' if mirror else ''}rot90 x {k}", op, _matrix_of(op)))
    return out


def _matrix_of(op):
    """M of an array op, from where it moves two marked pixels (coordinates about the array centre)."""
    grid_r, grid_c = np.mgrid[0:SNIPPET_SIZE, 0:SNIPPET_SIZE].astype(np.float64)
    x_old, y_old = op(grid_c) - _CENTRE, op(grid_r) - _CENTRE  # at each new pixel: its old coordinates
    x_new, y_new = grid_c - _CENTRE, grid_r - _CENTRE
    old = np.stack([x_old.ravel(), y_old.ravel()])
    new = np.stack([x_new.ravel(), y_new.ravel()])
    m_inverse = np.rint(old @ np.linalg.pinv(new))  # old = M^-1 new, exactly (entries 0, +-1)
    return np.linalg.inv(m_inverse)


@dataclass(frozen=True)
class CnnFrame:
    """How a map's snippets map onto the CNN's trained case: ``scale`` = p / p_t, and the symmetry ``op``
    carrying the map's axis to the trained one (matrix ``matrix`` on (x, y) about the snippet centre)."""

    scale: float
    name: str
    op: object
    matrix: np.ndarray

    @property
    def is_native(self):
        return abs(self.scale - 1.0) < 1e-3 and np.allclose(self.matrix, np.eye(2))

    def to_trained(self, snippets_t):
        """Snippets (N, 32, 32) as the CNN's trained frame sees them (field values unchanged)."""
        return np.ascontiguousarray(self.op(np.asarray(snippets_t)))

    def to_map(self, pred):
        """CNN outputs in the trained frame -> the map's frame and units (x, y back; lengths x s; mass x s^3)."""
        out = dict(pred)
        back = np.linalg.inv(self.matrix)
        shift = _REFERENCE - _CENTRE  # the CNN's positions are from pixel 16, the symmetries act about 15.5
        x, y = back @ np.stack([np.asarray(pred["x_px"]) + shift, np.asarray(pred["y_px"]) + shift])
        out["x_px"], out["y_px"] = x - shift, y - shift
        for key in ("z_m", "diameter_m"):
            out[key] = np.asarray(pred[key]) * self.scale
        out["iron_mass_kg"] = np.asarray(pred["iron_mass_kg"]) * self.scale**3
        out["log10_iron_mass_kg"] = np.log10(np.maximum(out["iron_mass_kg"], 1e-300))
        return out

    def sigmas_to_map(self, sig):
        """One-sigma errors likewise (x and y swap under odd symmetries; relative mass errors unchanged)."""
        out = dict(sig)
        if abs(self.matrix[0, 0]) < 0.5:  # a 90/270 degree part: x and y exchange roles
            out["x_px"], out["y_px"] = sig["y_px"], sig["x_px"]
        for key in ("z_m", "diameter_m"):
            out[key] = np.asarray(sig[key]) * self.scale
        return out


_OPS = _ops()


def cnn_frame(card, pixel_size_m, nv_polar_deg, nv_azimuth_deg):
    """``CnnFrame`` for a map of this pixel size and image-frame NV axis, or a str saying why the CNN cannot
    be used on it (then: physics only)."""
    trained_p = float(card["pixel_size_m"])
    axis = card.get("nv_axis", {})
    trained_polar = float(axis.get("polar_deg", 54.735610317245346))
    trained_azimuth = float(axis.get("azimuth_deg", 45.0))
    if abs(nv_polar_deg - trained_polar) > ANGLE_TOL_DEG:
        return (f"NV polar angle {nv_polar_deg:.4g} deg is not the {trained_polar:.4g} deg of the [100] diamond "
                "the CNN was trained for; no symmetry maps one onto the other")
    a = np.radians(nv_azimuth_deg)
    for name, op, m in _OPS:
        v = m @ np.array([np.cos(a), np.sin(a)])  # the map's axis carried by op
        carried = np.degrees(np.arctan2(v[1], v[0]))
        if abs((carried - trained_azimuth + 180.0) % 360.0 - 180.0) <= ANGLE_TOL_DEG:
            return CnnFrame(scale=float(pixel_size_m) / trained_p, name=name, op=op, matrix=m)
    return (f"NV azimuth {nv_azimuth_deg:.4g} deg (image frame) is not the trained {trained_azimuth:g} deg plus a "
            "multiple of 90 deg; no image rotation or mirror maps it onto the trained axis")
