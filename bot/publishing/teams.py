"""Which team's guidance a stored dialog text is: its `teams:` (`bot.policy.dialog_relation`
decides what that means for a reader, as in chat: another team's dialog is invisible), and the
one check every publishing use case about an open draft makes before anything else
(`check_draft_team`): a draft of another team's guidance is refused, audited as denied.

Read with the guarded YAML reader, remembered per text: the Studio's reads ask it of every
dialog they list."""

from __future__ import annotations

import functools

import yaml

from bot.policy import dialog_relation
from bot.publishing.records import PublishNotAllowed
from bot.usecases.base import Actor
from dialogs.yamlsafe import parse_yaml
from storage.repos.drafts import Draft

__all__ = ["OTHER_TEAMS", "check_draft_team", "team_sees", "teams_in"]

#: the rule a refusal of another team's guidance names in its audit entry
OTHER_TEAMS = "dialog.teams"


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


def check_draft_team(actor: Actor, draft: Draft, published: str | None, refused: str) -> None:
    """Refuse `actor` an open draft of another team's guidance: the draft's text or its
    dialog's newest published text (`published`) names teams, not the actor's. Raises
    PublishNotAllowed `refused` (a key of the catalog's `[publishing]` texts, saying what was
    refused), which the use case's decorator audits as denied (rule `dialog.teams`)."""
    for source in (published, draft.source):
        teams = teams_in(source) if source else ()
        if not team_sees(actor.team_name, source):
            refusal = PublishNotAllowed(refused, dialog=draft.dialog_id, teams=", ".join(teams))
            refusal.rule = OTHER_TEAMS
            raise refusal
