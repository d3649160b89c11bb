"""Playbook YAML cannot multiply work: anchors and aliases are refused, nesting is bounded (issue 9, section 1)."""

import shutil

import pytest

from ncert.config import PLAYBOOK_LIBRARY
from playbooks.loader import PlaybookError, load_library, parse_playbook


def billion_laughs() -> str:
    """The classic: nine levels of nine aliases to the level below, 9**9 strings once expanded."""
    lines = ['name: laughs', 'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_file_is_refused_at_its_first_anchor():
    text = billion_laughs()
    assert len(text) >= 513
    with pytest.raises(PlaybookError) as refused:
        parse_playbook(text, "laughs.yaml")
    assert str(refused.value) == ("laughs.yaml:2: YAML anchors and aliases (&name, *name, <<: *name) are not "
                                  "accepted in playbooks; write the content out")


@pytest.mark.parametrize("text,line", [
    ("name: x\nbase: &b {fact: category}\nwhen: *b\n", 2),
    ("name: x\nwhen:\n  <<: *b\n", 3),
])
def test_any_anchor_or_alias_is_refused_with_its_line(text, line):
    with pytest.raises(PlaybookError, match=f"^<playbook>:{line}: YAML anchors and aliases"):
        parse_playbook(text)


def test_nesting_past_the_limit_is_refused_with_its_line():
    with pytest.raises(PlaybookError, match="^<playbook>:2: the YAML nests deeper than 64 levels$"):
        parse_playbook("name: x\nwhen: " + "[" * 100_000 + "]" * 100_000 + "\n")


def test_the_library_loader_refuses_aliases_too(tmp_path):
    shutil.copytree(PLAYBOOK_LIBRARY, tmp_path, dirs_exist_ok=True)
    assert load_library(tmp_path)  # the shipped library has no aliases
    (tmp_path / "zz-laughs.yaml").write_text(billion_laughs())
    with pytest.raises(PlaybookError, match="zz-laughs.yaml:2: YAML anchors and aliases"):
        load_library(tmp_path)
