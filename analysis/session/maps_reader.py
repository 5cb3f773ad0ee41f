"""Reading only a session's analysis results (fit, background, field maps, cell table, model cards), without
the frame sums: what the cell stage and ``nvscope analyze`` need after a fit, at a fraction of the cost of
``read_session`` (which decompresses every on/off sum: 0.5 s of a 256 x 256 x 101 session, 2 s at 512).

``with_results(session)`` gives a session read earlier with the results now in its file, so a fit followed
by the cell analysis reads the sums once."""

import dataclasses
import os

from .cells import cell_table_from_node
from .encoding import from_json
from .errors import SessionFileError
from .reader import _map_result, read_session
from .schema import ANALYSIS, CELLS, INCOMPLETE_SUFFIX, MAP_GROUPS, MODELS, SCHEMA_VERSION, file_schema_version
from .tree import H5_ERRORS, Leaf, Node, load_tree, open_h5, read_attrs


def read_results(path):
    """{"fit", "background", "field_map": MapResult or None, "cells": CellTable or None, "models": {sha: card}}
    of a session file, reading only its /analysis group. Raises SessionFileError / SessionSchemaError as
    ``read_session`` does; a file of an older schema is read (and upgraded in memory) whole."""
    path = os.fspath(path)
    with open_h5(path, "r") as h5file:
        try:
            version = file_schema_version(read_attrs(h5file), path)
            analysis = h5file.get(ANALYSIS)
        except H5_ERRORS as exc:
            raise SessionFileError(f"{path}: the root of the file cannot be read ({exc}); it is damaged.") from exc
        if version != SCHEMA_VERSION:  # older layouts: the migrations work on the whole tree
            session = read_session(path)
            return {"fit": session.fit, "background": session.background, "field_map": session.field_map,
                    "cells": session.cells, "models": session.models}
        # refresh: the GUI's file process may have written results since the file was opened elsewhere
        tree = Node(members={ANALYSIS: load_tree(analysis, path, refresh=True)}) if analysis is not None else Node()
    results = {}
    for key, where in MAP_GROUPS.items():
        node = tree.get(where)
        results[key] = _map_result(node, path, where) if isinstance(node, Node) else None
    cells_node = tree.get(CELLS)
    results["cells"] = cell_table_from_node(cells_node, path, from_json) if isinstance(cells_node, Node) else None
    models = {}
    models_node = tree.get(MODELS)
    for sha, node in (models_node.members.items() if isinstance(models_node, Node) else ()):
        if isinstance(node, Node) and isinstance(node.get("model_card"), Leaf) and not sha.endswith(INCOMPLETE_SUFFIX):
            models[sha] = from_json(node.get("model_card").data, f"{path}: /{MODELS}/{sha}/model_card")
    results["models"] = models
    return results


def with_results(session):
    """``session`` (a ``Session``) with the analysis results now stored in its file, its acquisition arrays
    unchanged: after ``fit_session_file(path, session=session)``, the session the cell stage needs."""
    return dataclasses.replace(session, **read_results(session.path))
