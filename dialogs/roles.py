"""The declared contact roles (content/contact_roles.yaml), shared with the contacts directory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dialogs.diagnostics import Diagnostic, Loc
from dialogs.yamlsafe import diag, loc_of, parse_yaml

__all__ = ["ContactRole", "RolesLoad", "find_contact_roles", "load_contact_roles"]

ROLES_FILE = "contact_roles.yaml"


@dataclass(frozen=True, slots=True)
class ContactRole:
    id: str
    label: Mapping[str, str]
    description: Mapping[str, str]

    def label_in(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.id


@dataclass(slots=True)
class RolesLoad:
    roles: dict[str, ContactRole] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _texts(node: yaml.Node) -> dict[str, str] | None:
    if isinstance(node, yaml.ScalarNode):
        return {"en": str(node.value)}
    if isinstance(node, yaml.MappingNode) and all(
        isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode) for k, v in node.value
    ):
        return {str(k.value): str(v.value) for k, v in node.value}
    return None


def load_contact_roles(path: str | Path) -> RolesLoad:
    """Read the roles file; problems are RD090 diagnostics."""
    path = Path(path)
    result = RolesLoad()
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.diagnostics.append(diag(Loc(source), "RD090", f"cannot read: {exc.strerror}"))
        return result
    parsed = parse_yaml(data, source)
    result.diagnostics.extend(parsed.diagnostics)
    root = parsed.root
    if root is None:
        return result
    roles_node = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "roles":
                roles_node = value
    if not isinstance(roles_node, yaml.MappingNode):
        result.diagnostics.append(diag(loc_of(source, root), "RD090", "expected roles: {id: ...}"))
        return result
    for key, value in roles_node.value:
        role_id = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
        fields: dict[str, yaml.Node] = {}
        if isinstance(value, yaml.MappingNode):
            fields = {str(k.value): v for k, v in value.value if isinstance(k, yaml.ScalarNode)}
        label = _texts(fields["label"]) if "label" in fields else None
        description = _texts(fields["description"]) if "description" in fields else {}
        if not role_id or label is None or description is None:
            result.diagnostics.append(
                diag(loc_of(source, key), "RD090", f"role {role_id!r} needs label and description")
            )
            continue
        if role_id in result.roles:
            result.diagnostics.append(
                diag(loc_of(source, key), "RD090", f"role {role_id!r} twice")
            )
            continue
        result.roles[role_id] = ContactRole(role_id, label, description)
    return result


def find_contact_roles(start: str | Path) -> Path | None:
    """contact_roles.yaml in `start` (a file's directory or a directory) or its parents."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / ROLES_FILE
        if candidate.is_file():
            return candidate
        if (folder / "pyproject.toml").exists():
            break
    bundled = Path(__file__).resolve().parent.parent / "content" / ROLES_FILE
    return bundled if bundled.is_file() else None
