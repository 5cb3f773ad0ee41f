"""Numerics of nvscope: physics, ODMR fitting, background removal, cells, study, sessions. No Qt here."""
