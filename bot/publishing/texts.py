"""What the publishing workflow says, in English and French (the bot's languages)."""

from __future__ import annotations

from typing import Any

__all__ = ["LANGS", "text"]

LANGS = ("en", "fr")

_EN: dict[str, str] = {
    "draft_usage": (
        "To draft guidance, send the dialog file (YAML) to me as a document. It is tested with "
        "the transcript tests of the published version; to bring your own, send "
        "<id>.test.yaml after it. Then /preview ID, /review ID, /publish ID. Also: "
        "/draft withdraw ID, /history ID, /rollback ID VERSION."
    ),
    "drafts_open": "Open drafts:",
    "draft_line": "- {dialog}: {status}, by {author}",
    "drafts_none": "There are no open drafts.",
    "draft_errors": (
        "{file}: {errors} error(s), {warnings} warning(s). Nothing was saved: fix the file "
        "and send it again."
    ),
    "draft_ready": "Draft ready: {dialog} ({title}) passes its checks and tests, "
    "{warnings} warning(s).",
    "draft_revised": "Your draft {dialog} was replaced by this file; any earlier review no "
    "longer applies.",
    "draft_next_review": "Next: /preview {dialog}, then a colleague runs /review {dialog}.",
    "draft_next_publish": "Next: /preview {dialog}, then /publish {dialog}.",
    "draft_clash": (
        "The dialog id {dialog} already has a draft by {author}. Nothing was saved: choose "
        "another id, or ask them to publish or withdraw theirs."
    ),
    "unreadable_tests": "{file}: these transcript tests cannot be read. Nothing was saved.",
    "tests_attached": "Transcript tests attached to your draft {dialog}.",
    "tests_no_draft": (
        "You have no draft of {dialog} to attach these tests to: send the dialog file first."
    ),
    "no_draft": "There is no open draft of {dialog}.",
    "usage": "Usage: /{command} DIALOG_ID",
    "preview_intro": (
        "Preview of the draft {dialog}, as users will see it. Notes, check-ins and pages are "
        "simulated: nothing touches a real case. /cancel ends the preview."
    ),
    "preview_errors": "The draft {dialog} has errors and cannot be previewed:",
    "picture_missing": (
        "(No picture: Graphviz is not installed on the server. An admin can install it with "
        "the README's setup command.)"
    ),
    "picture_failed": "(The picture could not be drawn.)",
    "review_title": "Review: draft {dialog} ({title}) by {author}, status {status}.",
    "review_new": "A new dialog: nothing published yet. Its text:",
    "review_diff": "Changes against the published version {version}:",
    "review_same": "No change against the published version {version}.",
    "review_truncated": "[... cut: run `relais dialogs diff` for the whole text]",
    "review_own": "You wrote this draft: another psychologist must review it.",
    "review_comment": "Comment from {reviewer}: {comment}",
    "approve": "Approve",
    "reject": "Reject",
    "publish": "Publish",
    "approved": "You approved the draft {dialog}. It can be published with /publish {dialog}.",
    "rejected": "You sent the draft {dialog} back to its author with your comment.",
    "reject_needs_comment": "Say why, so the author can fix it: /reject {dialog} your comment",
    "own_review": "You wrote this draft: another psychologist must review it.",
    "needs_review": (
        "The draft {dialog} needs a colleague's approval before it is published "
        "(/review {dialog})."
    ),
    "was_rejected": "The draft {dialog} was sent back; fix it and send the file again.",
    "has_errors": "The draft {dialog} has {errors} error(s): it cannot be published.",
    "failing_tests": "The draft {dialog} fails {failed} test(s) ({names}): it cannot be "
    "published.",
    "stale_button": "This draft has changed since that message: run the command again.",
    "published": "Published {dialog} version {version}.",
    "published_sessions": (
        "{sessions} conversation(s) in progress on version {old} will finish on it; new ones "
        "get version {version}."
    ),
    "published_notified": "{notified} team member(s) told that new guidance is available.",
    "rollback_notified": "{notified} team member(s) told that the guidance went back.",
    "new_guidance": "New guidance available: {title}",
    "guidance_rolled_back": "Guidance changed back to an earlier version: {title}",
    "rolled_back": "{dialog} version {version} is a copy of version {source}.",
    "no_version": "{dialog} has no version {version}.",
    "not_your_draft": "The draft {dialog} is {author}'s: only they (or an admin) can withdraw it.",
    "withdrawn": "The draft {dialog} was withdrawn.",
    "picture_caption": "The draft {dialog} as a tree.",
    "draft_replaces": "Once published, it replaces {dialog} version {version} for everyone.",
    "history_title": "Published versions of {dialog}:",
    "history_line": "v{version}  {when}  {origin}, by {author}{reviewer}{publisher}",
    "history_reviewer": ", reviewed by {reviewer}{at}",
    "history_none": "{dialog} has no published version.",
    "rollback_usage": "Usage: /rollback DIALOG_ID VERSION",
    "id_too_long": "The dialog id {dialog}... is too long (at most {limit} characters).",
    "draft_blocked": (
        "Draft saved, but it cannot be published: {dialog} ({title}) fails {failed} test(s), "
        "named below. Fix the dialog (or its {dialog}.test.yaml) and send it again."
    ),
    "tests_line": "walk: {walk_passed} passed{walk_failed}, transcripts: {passed} passed / "
    "{failed} failed",
    "tests_inherited": "(the transcripts of version {version}; send {dialog}.test.yaml to "
    "replace them)",
    "tests_none": "walk: {walk_passed} passed{walk_failed}, transcripts: none (send "
    "{dialog}.test.yaml to add some)",
    "walk_failed": ", {failed} failed",
    "approval_voided": "{reviewer}'s approval was of the earlier text: it no longer applies "
    "(they were told).",
    "review_waiting": "{author} sent a draft of {title} ({dialog}) for review: /review {dialog}",
    "review_approved_notice": "{reviewer} approved your draft {dialog}: /publish {dialog} "
    "publishes it.",
    "review_rejected_notice": "{reviewer} sent your draft {dialog} back: {comment}",
    "approval_void_notice": (
        "The draft {dialog} you approved was replaced by its author: your approval no longer "
        "applies. /review {dialog} shows the new text."
    ),
    "rollback_announced": (
        "{who} rolled back {title} ({dialog}): version {version} is a copy of version "
        "{source}, published without a new review. /history {dialog}"
    ),
    "rollback_psychologists": "{told} psychologist(s) told of the rollback.",
    "changed_since_shown": (
        "The draft {dialog} changed after you were shown it: nothing was approved. "
        "/review {dialog} shows the current text."
    ),
    "review_first": "Run /review {dialog} first: an approval is of the text you were shown.",
    "digest_too_short": (
        "Give at least {chars} characters of the draft's digest (`relais dialogs review ID` "
        "prints it)."
    ),
    "one_operator_two_people": (
        "The draft {dialog} was sent by the same shell user: one operator cannot be both its "
        "author and its reviewer (the two-person rule). The reviewer approves in chat, or "
        "another operator does; `[publishing] operator_may_act_for_two = true` allows it."
    ),
    "org_wide_stays": (
        "{dialog} is guidance for the whole organisation: a draft cannot limit it to teams. "
        "Publish team guidance under a new id."
    ),
    "not_your_team": "{dialog} is guidance of {teams}: only their psychologists may change it.",
    "unknown_teams": (
        "{dialog} names teams Relais does not know: {teams}. Nothing was saved: use the exact "
        "team names ({known})."
    ),
    "too_many_drafts": (
        "You sent {limit} files in the last hour, the most allowed. Nothing was saved: try "
        "again after {at}."
    ),
    "history_reviewed_at": " on {at}",
    "history_publisher": ", published by {publisher}",
    "who_operator_for": "operator (shell user {via}) for {name}",
    "who_operator": "operator (shell user {via})",
}

_FR: dict[str, str] = {
    "draft_usage": (
        "Pour rédiger un conseil, envoyez-moi le fichier du dialogue (YAML) en document. Il est "
        "testé avec les transcriptions de la version publiée ; pour apporter les vôtres, "
        "envoyez ensuite <id>.test.yaml. Puis /preview ID, /review ID, /publish ID. Aussi : "
        "/draft withdraw ID, /history ID, /rollback ID VERSION."
    ),
    "drafts_open": "Brouillons en cours :",
    "draft_line": "- {dialog} : {status}, par {author}",
    "drafts_none": "Aucun brouillon en cours.",
    "draft_errors": (
        "{file} : {errors} erreur(s), {warnings} avertissement(s). Rien n'a été enregistré : "
        "corrigez le fichier et renvoyez-le."
    ),
    "draft_ready": "Brouillon prêt : {dialog} ({title}) passe ses vérifications et ses tests, "
    "{warnings} avertissement(s).",
    "draft_revised": "Votre brouillon {dialog} est remplacé par ce fichier ; une relecture "
    "antérieure ne compte plus.",
    "draft_next_review": "Ensuite : /preview {dialog}, puis un collègue lance /review {dialog}.",
    "draft_next_publish": "Ensuite : /preview {dialog}, puis /publish {dialog}.",
    "draft_clash": (
        "Le dialogue {dialog} a déjà un brouillon de {author}. Rien n'a été enregistré : "
        "choisissez un autre identifiant, ou demandez-lui de publier ou retirer le sien."
    ),
    "unreadable_tests": "{file} : ces tests sont illisibles. Rien n'a été enregistré.",
    "tests_attached": "Tests ajoutés à votre brouillon {dialog}.",
    "tests_no_draft": (
        "Vous n'avez pas de brouillon de {dialog} auquel ajouter ces tests : envoyez d'abord "
        "le fichier du dialogue."
    ),
    "no_draft": "Il n'y a pas de brouillon en cours pour {dialog}.",
    "usage": "Usage : /{command} ID_DU_DIALOGUE",
    "preview_intro": (
        "Aperçu du brouillon {dialog}, tel que les utilisateurs le verront. Notes, rappels et "
        "appels sont simulés : aucun dossier réel n'est touché. /cancel termine l'aperçu."
    ),
    "preview_errors": (
        "Le brouillon {dialog} contient des erreurs et ne peut pas être prévisualisé :"
    ),
    "picture_missing": (
        "(Pas d'image : Graphviz n'est pas installé sur le serveur. Un administrateur peut "
        "l'installer avec la commande d'installation du README.)"
    ),
    "picture_failed": "(L'image n'a pas pu être dessinée.)",
    "review_title": "Relecture : brouillon {dialog} ({title}) par {author}, statut {status}.",
    "review_new": "Nouveau dialogue : rien n'est encore publié. Son texte :",
    "review_diff": "Modifications par rapport à la version publiée {version} :",
    "review_same": "Aucune modification par rapport à la version publiée {version}.",
    "review_truncated": "[... coupé : `relais dialogs diff` donne le texte complet]",
    "review_own": "Vous avez écrit ce brouillon : un autre psychologue doit le relire.",
    "review_comment": "Commentaire de {reviewer} : {comment}",
    "approve": "Approuver",
    "reject": "Refuser",
    "publish": "Publier",
    "approved": "Vous avez approuvé le brouillon {dialog}. Il peut être publié avec "
    "/publish {dialog}.",
    "rejected": "Vous avez renvoyé le brouillon {dialog} à son auteur avec votre commentaire.",
    "reject_needs_comment": "Dites pourquoi, pour que l'auteur corrige : /reject {dialog} "
    "votre commentaire",
    "own_review": "Vous avez écrit ce brouillon : un autre psychologue doit le relire.",
    "needs_review": (
        "Le brouillon {dialog} doit être approuvé par un collègue avant publication "
        "(/review {dialog})."
    ),
    "was_rejected": "Le brouillon {dialog} a été renvoyé ; corrigez-le et renvoyez le fichier.",
    "has_errors": "Le brouillon {dialog} contient {errors} erreur(s) : publication impossible.",
    "failing_tests": "Le brouillon {dialog} échoue à {failed} test(s) ({names}) : publication "
    "impossible.",
    "stale_button": "Ce brouillon a changé depuis ce message : relancez la commande.",
    "published": "{dialog} publié en version {version}.",
    "published_sessions": (
        "{sessions} conversation(s) en cours sur la version {old} la termineront ; les "
        "nouvelles utilisent la version {version}."
    ),
    "published_notified": "{notified} membre(s) de l'équipe prévenu(s) du nouveau conseil.",
    "rollback_notified": "{notified} membre(s) de l'équipe prévenu(s) du retour en arrière.",
    "new_guidance": "Nouveau conseil disponible : {title}",
    "guidance_rolled_back": "Conseil revenu à une version antérieure : {title}",
    "rolled_back": "{dialog} version {version} est une copie de la version {source}.",
    "no_version": "{dialog} n'a pas de version {version}.",
    "not_your_draft": (
        "Le brouillon {dialog} est celui de {author} : seul(e) l'auteur (ou un administrateur) "
        "peut le retirer."
    ),
    "withdrawn": "Le brouillon {dialog} a été retiré.",
    "picture_caption": "Le brouillon {dialog} sous forme d'arbre.",
    "draft_replaces": "Une fois publié, il remplace {dialog} version {version} pour tous.",
    "history_title": "Versions publiées de {dialog} :",
    "history_line": "v{version}  {when}  {origin}, par {author}{reviewer}{publisher}",
    "history_reviewer": ", relu par {reviewer}{at}",
    "history_none": "{dialog} n'a pas de version publiée.",
    "rollback_usage": "Usage : /rollback ID_DU_DIALOGUE VERSION",
    "id_too_long": "L'identifiant {dialog}... est trop long ({limit} caractères au plus).",
    "draft_blocked": (
        "Brouillon enregistré, mais impossible à publier : {dialog} ({title}) échoue à "
        "{failed} test(s), nommés ci-dessous. Corrigez le dialogue (ou son {dialog}.test.yaml) "
        "et renvoyez-le."
    ),
    "tests_line": "parcours : {walk_passed} réussi(s){walk_failed}, transcriptions : {passed} "
    "réussie(s) / {failed} en échec",
    "tests_inherited": "(les transcriptions de la version {version} ; envoyez "
    "{dialog}.test.yaml pour les remplacer)",
    "tests_none": "parcours : {walk_passed} réussi(s){walk_failed}, transcriptions : aucune "
    "(envoyez {dialog}.test.yaml pour en ajouter)",
    "walk_failed": ", {failed} en échec",
    "approval_voided": "L'approbation de {reviewer} portait sur le texte précédent : elle ne "
    "compte plus (cette personne est prévenue).",
    "review_waiting": "{author} a envoyé un brouillon de {title} ({dialog}) à relire : "
    "/review {dialog}",
    "review_approved_notice": "{reviewer} a approuvé votre brouillon {dialog} : /publish "
    "{dialog} le publie.",
    "review_rejected_notice": "{reviewer} vous a renvoyé le brouillon {dialog} : {comment}",
    "approval_void_notice": (
        "Le brouillon {dialog} que vous avez approuvé a été remplacé par son auteur : votre "
        "approbation ne compte plus. /review {dialog} montre le nouveau texte."
    ),
    "rollback_announced": (
        "{who} a fait revenir {title} ({dialog}) en arrière : la version {version} est une "
        "copie de la version {source}, publiée sans nouvelle relecture. /history {dialog}"
    ),
    "rollback_psychologists": "{told} psychologue(s) prévenu(s) du retour en arrière.",
    "changed_since_shown": (
        "Le brouillon {dialog} a changé depuis qu'il vous a été montré : rien n'a été "
        "approuvé. /review {dialog} montre le texte actuel."
    ),
    "review_first": "Lancez d'abord /review {dialog} : une approbation porte sur le texte "
    "qui vous a été montré.",
    "digest_too_short": (
        "Donnez au moins {chars} caractères de l'empreinte du brouillon (`relais dialogs "
        "review ID` l'affiche)."
    ),
    "one_operator_two_people": (
        "Le brouillon {dialog} a été envoyé par le même utilisateur système : un opérateur ne "
        "peut pas en être à la fois l'auteur et le relecteur (règle des deux personnes). Le "
        "relecteur approuve dans la conversation, ou un autre opérateur ; "
        "`[publishing] operator_may_act_for_two = true` l'autorise."
    ),
    "org_wide_stays": (
        "{dialog} est un conseil pour toute l'organisation : un brouillon ne peut pas le "
        "limiter à des équipes. Publiez un conseil d'équipe sous un nouvel identifiant."
    ),
    "not_your_team": "{dialog} est un conseil de {teams} : seuls leurs psychologues peuvent "
    "le modifier.",
    "unknown_teams": (
        "{dialog} nomme des équipes inconnues de Relais : {teams}. Rien n'a été enregistré : "
        "utilisez les noms exacts des équipes ({known})."
    ),
    "too_many_drafts": (
        "Vous avez envoyé {limit} fichiers dans la dernière heure, le maximum. Rien n'a été "
        "enregistré : réessayez après {at}."
    ),
    "history_reviewed_at": " le {at}",
    "history_publisher": ", publié par {publisher}",
    "who_operator_for": "opérateur (utilisateur système {via}) pour {name}",
    "who_operator": "opérateur (utilisateur système {via})",
}

_CATALOG = {"en": _EN, "fr": _FR}


def text(lang: str, key: str, **values: Any) -> str:
    """The message `key` in `lang` (English when the language or the key is unknown)."""
    template = _CATALOG.get(lang, _EN).get(key) or _EN[key]
    return template.format(**values)
