"""Read an agreement file's YAML strictly, keeping the line of every value.

Why not ``yaml.safe_load``: it turns ``2025-12-15`` into a ``date`` (not JSON, and the hash
must be over JSON data), ``yes``/``no``/``on``/``off`` into booleans (the "Norway problem"),
and silently keeps the last of two duplicate keys. Here only ``true``/``false`` are
booleans, dates stay strings for the schema to check, duplicate keys and non-JSON tags are
errors, and every path in the document is mapped to the line it starts on so that schema
errors can name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_JSON_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


# libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader without timestamps and with YAML 1.2 booleans only."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|false)$"), list("tf"))


@dataclass(frozen=True)
class YamlProblem:
    """A problem found while reading the YAML itself (before any schema)."""

    line: int
    path: Path
    message: str


@dataclass
class YamlDocument:
    """The parsed document as JSON data, and the line each path starts on."""

    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)


def read_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; report syntax errors, duplicate keys and non-JSON tags."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {(): 1}, [YamlProblem(1, (), "the file is empty")])
        document = YamlDocument(None, {(): node.start_mark.line + 1})
        _walk(node, (), document)
        if not document.problems:
            document.data = loader.construct_document(node)
        return document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return YamlDocument(None, {(): 1}, [YamlProblem(line, (), f"invalid YAML: {message}")])
    except yaml.YAMLError as exc:
        return YamlDocument(None, {(): 1}, [YamlProblem(1, (), f"invalid YAML: {exc}")])
    finally:
        loader.dispose()


def _walk(node: Node, path: Path, document: YamlDocument) -> None:
    """Record lines below ``node``; refuse duplicate or non-scalar keys and foreign tags."""
    if node.tag not in _JSON_TAGS:
        document.problems.append(
            YamlProblem(
                node.start_mark.line + 1,
                path,
                f"YAML tag {node.tag} is not allowed (only plain JSON-like data)",
            )
        )
        return
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), document)
    elif isinstance(node, MappingNode):
        _walk_mapping(node, path, document)


def _walk_mapping(node: MappingNode, path: Path, document: YamlDocument) -> None:
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
            document.problems.append(
                YamlProblem(line, path, "a mapping key must be a plain string")
            )
            continue
        key = str(key_node.value)
        if key in seen:
            document.problems.append(
                YamlProblem(line, (*path, key), f"duplicate key (first given on line {seen[key]})")
            )
            continue
        seen[key] = line
        document.lines[(*path, key)] = line
        _walk(value_node, (*path, key), document)


def path_text(path: Path) -> str:
    """Write a path the way a reader finds it: ``parties[1].role``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(document)"
