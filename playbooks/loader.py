"""Load playbooks from YAML, with every error naming the file and the line.

The text is parsed twice by PyYAML's safe loader: once into node objects
(which keep their start marks) and once into plain data. A ``RuleError`` from
the schema carries the path of keys to the fault; it is mapped back onto the
nodes to find the line.

Before either, the text's parse events are read once, in time linear in its
size, to refuse anchors and aliases (``&a``, ``*a``, ``<<: *a``): a few
hundred bytes of aliases to aliases expand into billions of nodes ("billion
laughs"), and playbooks have no need of them. Nesting is bounded the same way.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ncert.config import MAX_JSON_DEPTH
from ncert.errors import Invalid
from playbooks.conditions import Location, RuleError
from playbooks.schema import Playbook, build_playbook

SUFFIXES = (".yaml", ".yml")


class PlaybookError(Invalid):
    """A playbook that cannot be loaded; ``str()`` is ``"{path}:{line}: {what}"``."""

    def __init__(self, path: str, line: int, what: str):
        super().__init__(f"{path}:{line}: {what}", code="invalid_playbook")
        self.path, self.line, self.what = path, line, what


def parse_playbook(text: str, path: str = "<playbook>") -> Playbook:
    """Check one playbook given as YAML text (a file's content or a console edit)."""
    try:
        _refuse_aliases_and_deep_nesting(text, path)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise PlaybookError(path, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise PlaybookError(path, 1, f"invalid YAML: {exc}") from None
    if root is None:
        raise PlaybookError(path, 1, "the file is empty; expected a playbook mapping")
    _reject_duplicate_keys(root, path)
    try:
        return build_playbook(data, path)
    except RuleError as exc:
        raise PlaybookError(path, line_of(root, exc.where), str(exc)) from None


def _refuse_aliases_and_deep_nesting(text: str, path: str) -> None:
    """Read the parse events only (nothing is built): an anchor or alias, or nesting past
    MAX_JSON_DEPTH, is a PlaybookError at its line."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise PlaybookError(path, line, "YAML anchors and aliases (&name, *name, <<: *name) are not accepted "
                                            "in playbooks; write the content out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise PlaybookError(path, line, f"the YAML nests deeper than {MAX_JSON_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_playbook(path: str | Path) -> Playbook:
    """Read and check one playbook file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(str(path), 1, f"cannot read the file: {exc}") from None
    return parse_playbook(text, str(path))


def load_library(directory: str | Path) -> list[Playbook]:
    """Every playbook in ``directory``, ordered by (priority, name); names must be unique."""
    files = sorted(p for p in Path(directory).iterdir() if p.suffix in SUFFIXES and p.is_file())
    books: dict[str, Playbook] = {}
    for file in files:
        book = load_playbook(file)
        if book.name in books:
            root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
            raise PlaybookError(str(file), line_of(root, ("name",)),
                                f"name: playbook '{book.name}' is already defined in {books[book.name].path}")
        books[book.name] = book
    return sorted(books.values(), key=lambda b: (b.priority, b.name))


def line_of(root: yaml.Node, where: Location) -> int:
    """The 1-based line of the node at ``where``, or of its nearest existing parent."""
    node, line = root, root.start_mark.line + 1
    for part in where:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _reject_duplicate_keys(node: yaml.Node, path: str, seen: set[int] | None = None) -> None:
    """PyYAML keeps the last of two equal keys silently; a playbook must not."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    raise PlaybookError(path, key.start_mark.line + 1, f"duplicate key '{key.value}'")
                keys.add(key.value)
            _reject_duplicate_keys(value, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _reject_duplicate_keys(item, path, seen)
