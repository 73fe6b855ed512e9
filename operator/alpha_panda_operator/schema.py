"""Turn a pydantic model's JSON schema into a structural OpenAPI v3 schema for a CRD."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

JsonSchema = dict[str, Any]

_DROPPED_KEYS = {"title", "$defs"}


def structural_schema(model: type[BaseModel], defaults: bool = True) -> JsonSchema:
    """Return the CRD schema of `model`: references inlined, nullability and titles removed.

    Without `defaults`, the API server fills in nothing: right for a status, which only the
    operator writes.
    """
    document = model.model_json_schema(by_alias=True)
    dropped = _DROPPED_KEYS if defaults else {*_DROPPED_KEYS, "default"}
    return _convert(document, document.get("$defs", {}), dropped)


def _convert(node: JsonSchema, definitions: dict[str, JsonSchema], dropped: set[str]) -> JsonSchema:
    node = _resolve(node, definitions)
    result: JsonSchema = {}
    for key, value in node.items():
        if key in dropped or (key == "default" and value is None):
            continue
        if key == "additionalProperties":
            if value is True or value == {}:
                result["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict):
                result[key] = _convert(value, definitions, dropped)
            # `false` is the structural default (unknown fields are pruned) and is not allowed
            continue
        if key == "properties":
            result[key] = {
                name: _convert(child, definitions, dropped) for name, child in value.items()
            }
        elif key == "items":
            result[key] = _convert(value, definitions, dropped)
        else:
            result[key] = value
    return result


def _resolve(node: JsonSchema, definitions: dict[str, JsonSchema]) -> JsonSchema:
    """Inline `$ref` and collapse `anyOf: [X, null]` into X, keeping the outer annotations."""
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        outer = {key: value for key, value in node.items() if key != "$ref"}
        return _resolve({**target, **outer}, definitions)
    if "anyOf" in node:
        branches = [branch for branch in node["anyOf"] if branch.get("type") != "null"]
        if len(branches) != 1:
            raise ValueError(f"a CRD schema cannot express the union {node['anyOf']}")
        outer = {key: value for key, value in node.items() if key != "anyOf"}
        return _resolve({**branches[0], **outer}, definitions)
    return node
