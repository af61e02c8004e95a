"""Which team's guidance a stored dialog text is: its `teams:` (`bot.policy.dialog_relation`
decides what that means for a reader, as in chat: another team's dialog is invisible).

Read with the guarded YAML reader, remembered per text: the Studio's reads ask it of every
dialog they list."""

from __future__ import annotations

import functools

import yaml

from bot.policy import dialog_relation
from dialogs.yamlsafe import parse_yaml

__all__ = ["team_sees", "teams_in"]


@functools.lru_cache(maxsize=512)
def teams_in(source: str) -> tuple[str, ...]:
    """The team names a stored dialog text is limited to (empty: every team)."""
    root = parse_yaml(source, "dialog.yaml").root
    if not isinstance(root, yaml.MappingNode):
        return ()
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "teams":
            if isinstance(value, yaml.SequenceNode):
                return tuple(
                    str(item.value) for item in value.value if isinstance(item, yaml.ScalarNode)
                )
            if isinstance(value, yaml.ScalarNode) and value.value:
                return (str(value.value),)
    return ()


def team_sees(team: str, *sources: str | None) -> bool:
    """Whether someone of `team` may know of a dialog whose stored texts (its newest published
    version, its open draft) are `sources`: none of them is another team's guidance."""
    return all(
        dialog_relation((), team, audience=(), teams=teams_in(source)) is not None
        for source in sources
        if source
    )
