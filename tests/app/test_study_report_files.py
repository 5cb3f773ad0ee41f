"""The study's report and summary are written under a fresh random name and moved into place: a link planted at
the old predictable temporary name is never followed, and a failed write leaves the previous file (issue 13)."""

import json

import pytest

from app.core.study_report import write_report


class _Result:
    def __init__(self, summary):
        self.summary = summary

    def to_json_dict(self):
        return self.summary


def test_summary_write_never_follows_a_planted_link(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "summary.json"
    (tmp_path / "summary.json.part").symlink_to(victim)
    write_report(_Result({"n": 1}), json_path=str(out))
    assert victim.read_text() == "precious"
    assert json.loads(out.read_text()) == {"n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json", "summary.json.part", "victim.txt"]


def test_a_summary_that_cannot_be_made_leaves_the_previous_one(tmp_path):
    out = tmp_path / "summary.json"
    out.write_text('{"old": true}')
    with pytest.raises(TypeError):
        write_report(_Result({"bad": object()}), json_path=str(out))  # not JSON-able: fails before writing
    with pytest.raises(TypeError):
        write_report(_Result({"n": 2}), json_path=str(out), extra={"x": {1, 2}})
    assert json.loads(out.read_text()) == {"old": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]
