"""Checks of physical parameters that raise errors naming the parameter, the value and what to do."""

import math

import numpy as np


class PhysicsParameterError(ValueError):
    """A physical parameter is outside what the model accepts."""


def _describe(value, unit):
    return f"{value!r} {unit}".strip()


def require_finite(name, value, unit=""):
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise PhysicsParameterError(f"{name} = {_describe(value, unit)} is not a finite number; give a real value.")
    return value


def require_positive(name, value, unit=""):
    require_finite(name, value, unit)
    if np.any(np.asarray(value, dtype=float) <= 0):
        raise PhysicsParameterError(f"{name} = {_describe(value, unit)} must be positive.")
    return value


def require_non_negative(name, value, unit=""):
    require_finite(name, value, unit)
    if np.any(np.asarray(value, dtype=float) < 0):
        raise PhysicsParameterError(f"{name} = {_describe(value, unit)} must not be negative.")
    return value


def require_cell_above_layer(z_m, diameter_m):
    """A cell's centre must be at least its radius above the NV layer (z = 0)."""
    if z_m < diameter_m / 2.0:
        raise PhysicsParameterError(
            f"cell centre height z_m = {z_m!r} m is closer to the NV layer than the cell radius "
            f"{diameter_m / 2.0!r} m (diameter_m = {diameter_m!r} m): the cell would cut through the diamond; "
            "give z_m >= diameter_m / 2."
        )


def require_integer_at_least(name, value, minimum):
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise PhysicsParameterError(f"{name} = {value!r} must be a whole number >= {minimum}.")
    return int(value)


def is_finite_scalar(value):
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
