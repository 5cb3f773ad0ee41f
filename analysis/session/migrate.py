"""Reading files written under older schemas.

``MIGRATIONS[v]`` upgrades a file tree (see ``tree.py``) of schema v to schema v + 1, in memory: the file
on disk is never changed by reading it. A file from schema v < SCHEMA_VERSION is read by applying
MIGRATIONS[v], MIGRATIONS[v + 1], ... in turn; a missing step means the file cannot be read, and the error
says so. An upgrade function raises SessionFileError (with the reason) when a file lacks what it needs.

Schema 1 is the first released layout, so the table is empty today. When the layout changes: bump
schema.SCHEMA_VERSION, make the writer and reader speak the new layout, and add here the function that
turns a version-(N-1) tree into a version-N tree (rename members, add defaults, convert units), with a
test on a file of the old layout.
"""

import os

import h5py

from .errors import SessionExistsError, SessionFileError, SessionSchemaError
from .safe_files import replacing
from .scales import copy_scales
from .schema import FILE_KIND, LIBVER, LOCKING, SCHEMA_VERSION, file_schema_version, utc_now
from .tree import H5_ERRORS, load_tree, open_h5, read_attrs, write_tree

MIGRATIONS = {}
"""from_version -> function(tree: Node, path: str) -> Node at from_version + 1."""


def migrate_tree(tree, path, file_version):
    """Upgrade a loaded tree from ``file_version`` to SCHEMA_VERSION (see the module docstring)."""
    version = file_version
    while version < SCHEMA_VERSION:
        upgrade = MIGRATIONS.get(version)
        if upgrade is None:
            oldest = min([v for v in MIGRATIONS if _chain_complete(v)], default=SCHEMA_VERSION)
            raise SessionSchemaError(
                f"{path}: file schema {file_version} is older than this nvscope can read (it reads schemas "
                f"{oldest} to {SCHEMA_VERSION}; no upgrade from schema {version} to {version + 1} is known). "
                "Read it with the nvscope version that wrote it"
                f" ({tree.attrs.get('app_version', 'unknown')})."
            )
        try:
            tree = upgrade(tree, path)
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            raise SessionFileError(
                f"{path}: upgrading from schema {version} to {version + 1} failed: {exc!r}; the file lacks "
                "something that schema should have."
            ) from exc
        version += 1
        tree.attrs["schema_version"] = version
    tree.attrs["file_kind"] = FILE_KIND
    return tree


def _chain_complete(version):
    return all(v in MIGRATIONS for v in range(version, SCHEMA_VERSION))


def load_migrated_tree(path):
    """(tree at the current schema, schema version of the file as stored). Raises SessionFileError."""
    path = os.fspath(path)
    with open_h5(path, "r") as h5file:
        try:
            attrs = read_attrs(h5file)
        except H5_ERRORS as exc:
            raise SessionFileError(f"{path}: the root attributes cannot be read ({exc}); the file is damaged.") \
                from exc
        file_version = file_schema_version(attrs, path)
        tree = load_tree(h5file, path, refresh=True)
    return migrate_tree(tree, path, file_version), file_version


def migrate_session(source_path, target_path, *, overwrite=False):
    """Write a copy of a session file in the current schema (also compacts space left by replaced
    results). The source is not changed. Returns the schema version the source had."""
    source_path, target_path = os.fspath(source_path), os.fspath(target_path)
    if os.path.abspath(source_path) == os.path.abspath(target_path):
        raise SessionExistsError(f"{target_path}: migrate into a new file, not onto the source.")
    if os.path.exists(target_path) and not overwrite:
        raise SessionExistsError(f"{target_path} exists; give overwrite=True to replace it.")
    tree, file_version = load_migrated_tree(source_path)
    tree.attrs["migrated_from_schema"] = file_version
    tree.attrs["migrated_utc"] = utc_now()
    with replacing(target_path) as staging, h5py.File(staging, "w", libver=LIBVER, locking=LOCKING) as h5file:
        write_tree(tree, h5file)  # into a fresh temporary file, moved into place only once complete
        with open_h5(source_path, "r") as source:
            copy_scales(source, h5file)  # the copied attributes' dimension-scale links point into the source
    return file_version
