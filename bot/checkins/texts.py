"""What check-in messages say, in English and French. Case codes only: never a name of the
person followed, a note or a label typed by a practitioner. (Pages name who asks, a colleague.)

Buttons carry tokens `ci.<occurrence id>.<action>` (see `bot.checkins.tokens`).
"""

from __future__ import annotations

from datetime import datetime

from bot.checkins.recurrence import zone
from bot.checkins.tokens import checkin_token
from bot.messages import Button, Reply

__all__ = ["local_time", "text"]

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "reminder": "Check-in due: case {case}",
        "reminder_late": "Check-in due (late, was due {due}): case {case}",
        "escalation": "Missed check-in: case {case} (due {due}), not acknowledged.",
        "escalation_unreachable": (
            "Check-in for case {case} (due {due}): the practitioner cannot be reached."
        ),
        "cant_reach_alert": "Case {case}: the practitioner could not reach the person.",
        "page": "Contact requested now: case {case}, asked by {who}. Please acknowledge.",
        "page_nocase": "Contact requested now, asked by {who}. Please acknowledge.",
        "page_sent": "Paging the person on call now. I will tell you who acknowledges.",
        "page_running": (
            "The person on call is already being paged for this. I will tell you who acknowledges."
        ),
        "page_running_other": (
            "The person on call is already being paged for this, asked by {who}, who will be "
            "told who acknowledges."
        ),
        "page_none": (
            "Nobody on call can be paged right now. Use the emergency contacts now (/sos)."
        ),
        "page_acked": "{who} acknowledged your request (case {case}).",
        "page_acked_nocase": "{who} acknowledged your request.",
        "page_nobody_nocase": (
            "Nobody on call acknowledged. The fallback contact was alerted. "
            "If anyone is in danger, use the emergency contacts now (/sos)."
        ),
        "page_nobody": (
            "Nobody on call acknowledged (case {case}). The fallback contact was alerted. "
            "If anyone is in danger, use the emergency contacts now (/sos)."
        ),
        "ack_thanks": "Acknowledged. Thank you.",
        "done": "Check-in recorded for case {case}.",
        "note_prompt": "Type a quick note for case {case}.",
        "snoozed": "Snoozed: I will remind you again at {at}.",
        "cant_reach": "The case owner has been told. Some guidance on who to contact:",
        "already": "This check-in has already been handled.",
        "summary": (
            "While Relais was offline, {n} check-ins were missed: {cases}. Please review them."
        ),
        "none_upcoming": "No upcoming check-ins.",
        "upcoming": "Upcoming check-ins:",
        "b_done": "Done",
        "b_snooze_1h": "Snooze 1 h",
        "b_snooze_1d": "Snooze 1 day",
        "b_cant": "Can't reach the person",
        "b_ack": "Acknowledge",
        "b_note": "Add a quick note",
        "paused": "paused",
        "scheduled": "Check-in scheduled on case {case}: {rule}. Next: {when}.",
        "schedule_status": "Check-in on case {case} is now {status}.",
        "checkin_usage": (
            "Usage: /checkin CASE weekly MO 09:00 | every 3d 09:00 | monthly 1 10:00 | in 24h "
            "[name of the practitioner reminded]"
        ),
        "checkin_range": (
            "A one-off check-in must be between 1 minute and a year ahead, e.g. in 30m, in 24h "
            "or in 14d."
        ),
        "b_pause": "Pause",
        "b_resume": "Resume",
        "b_cancel": "Cancel",
        "undelivered": (
            "Relais could not deliver a {what} about case {case} to {who} ({why}). "
            "Please make sure they know."
        ),
        "undelivered_nocase": (
            "Relais could not deliver a {what} to {who} ({why}). Please make sure they know."
        ),
        "fallback_unreached": (
            "Case {case}: the fallback contact has no chat account in Relais and could "
            "not be alerted. Please call them (/sos lists the emergency contacts)."
        ),
        "fallback_unreached_nocase": (
            "The fallback contact has no chat account in Relais and could not be "
            "alerted. Please call them (/sos lists the emergency contacts)."
        ),
        "w_remind": "check-in reminder",
        "w_escalate": "missed check-in alert",
        "w_page": "page",
        "w_other": "message",
        "why_failed": "the chat service kept failing",
        "why_unreachable": "they cannot be reached on any chat",
        "downtime": (
            "Relais was down for {duration} (from {since} to {until}). Since it restarted, "
            "{late} check-in reminders of your team were sent late and {summarised} missed ones "
            "were summarised to the practitioners."
        ),
    },
    "fr": {
        "reminder": "Point de suivi à faire : dossier {case}",
        "reminder_late": "Point de suivi à faire (en retard, prévu {due}) : dossier {case}",
        "escalation": "Point de suivi manqué : dossier {case} (prévu {due}), sans réponse.",
        "escalation_unreachable": (
            "Point de suivi du dossier {case} (prévu {due}) : le praticien est injoignable."
        ),
        "cant_reach_alert": "Dossier {case} : le praticien n'a pas pu joindre la personne.",
        "page": "Contact demandé maintenant : dossier {case}, par {who}. Merci de confirmer.",
        "page_nocase": "Contact demandé maintenant, par {who}. Merci de confirmer.",
        "page_sent": "J'alerte la personne d'astreinte. Je vous dirai qui a confirmé.",
        "page_running": (
            "La personne d'astreinte est déjà en train d'être alertée pour cela. Je vous dirai "
            "qui a confirmé."
        ),
        "page_running_other": (
            "La personne d'astreinte est déjà en train d'être alertée pour cela, à la demande de "
            "{who}, qui saura qui a confirmé."
        ),
        "page_none": (
            "Personne d'astreinte ne peut être alerté pour le moment. "
            "Utilisez les contacts d'urgence (/sos)."
        ),
        "page_acked": "{who} a confirmé votre demande (dossier {case}).",
        "page_acked_nocase": "{who} a confirmé votre demande.",
        "page_nobody_nocase": (
            "Personne d'astreinte n'a confirmé. Le contact de repli a été alerté. "
            "En cas de danger, utilisez les contacts d'urgence (/sos)."
        ),
        "page_nobody": (
            "Personne d'astreinte n'a confirmé (dossier {case}). Le contact de repli a été "
            "alerté. En cas de danger, utilisez les contacts d'urgence (/sos)."
        ),
        "ack_thanks": "Confirmé. Merci.",
        "done": "Point de suivi enregistré pour le dossier {case}.",
        "note_prompt": "Écrivez une note rapide pour le dossier {case}.",
        "snoozed": "Reporté : je vous le rappellerai à {at}.",
        "cant_reach": (
            "Le responsable du dossier est prévenu. Quelques repères sur qui contacter :"
        ),
        "already": "Ce point de suivi a déjà été traité.",
        "summary": (
            "Pendant l'arrêt de Relais, {n} points de suivi ont été manqués : {cases}. "
            "Merci de les revoir."
        ),
        "none_upcoming": "Aucun point de suivi à venir.",
        "upcoming": "Points de suivi à venir :",
        "b_done": "Fait",
        "b_snooze_1h": "Reporter 1 h",
        "b_snooze_1d": "Reporter 1 jour",
        "b_cant": "Personne injoignable",
        "b_ack": "Confirmer",
        "b_note": "Ajouter une note rapide",
        "paused": "en pause",
        "scheduled": "Point de suivi programmé sur le dossier {case} : {rule}. Prochain : {when}.",
        "schedule_status": "Le point de suivi du dossier {case} est maintenant : {status}.",
        "checkin_usage": (
            "Usage : /checkin DOSSIER weekly LU 09:00 | every 3d 09:00 | monthly 1 10:00 | "
            "in 24h [nom du praticien à rappeler]"
        ),
        "checkin_range": (
            "Un point de suivi ponctuel doit avoir lieu entre 1 minute et un an, par exemple "
            "dans 30m, dans 24h ou dans 14d."
        ),
        "b_pause": "Mettre en pause",
        "b_resume": "Reprendre",
        "b_cancel": "Annuler",
        "undelivered": (
            "Relais n'a pas pu remettre un {what} concernant le dossier {case} à {who} ({why}). "
            "Merci de vous assurer que la personne est prévenue."
        ),
        "undelivered_nocase": (
            "Relais n'a pas pu remettre un {what} à {who} ({why}). "
            "Merci de vous assurer que la personne est prévenue."
        ),
        "fallback_unreached": (
            "Dossier {case} : le contact de repli n'a pas de compte de messagerie dans "
            "Relais et n'a pas pu être alerté. Merci de l'appeler (/sos liste les contacts "
            "d'urgence)."
        ),
        "fallback_unreached_nocase": (
            "Le contact de repli n'a pas de compte de messagerie dans Relais et n'a pas "
            "pu être alerté. Merci de l'appeler (/sos liste les contacts d'urgence)."
        ),
        "w_remind": "rappel de point de suivi",
        "w_escalate": "message de point de suivi manqué",
        "w_page": "appel d'astreinte",
        "w_other": "message",
        "why_failed": "la messagerie était en échec",
        "why_unreachable": "la personne est injoignable sur toutes ses messageries",
        "downtime": (
            "Relais a été arrêté pendant {duration} (de {since} à {until}). Depuis son "
            "redémarrage, {late} rappels de point de suivi de votre équipe ont été envoyés en "
            "retard et {summarised} points manqués ont été récapitulés aux praticiens."
        ),
    },
}


def text(lang: str, key: str, **values: object) -> str:
    table = _TEXTS.get(lang, _TEXTS["en"])
    return table.get(key, _TEXTS["en"][key]).format(**values)


def local_time(when: datetime, time_zone: str) -> str:
    """A short local time for a practitioner: 'Mon 30 Mar 09:00'."""
    return when.astimezone(zone(time_zone)).strftime("%a %d %b %H:%M")


def reminder(lang: str, occurrence_id: str, case_code: str, late_due: str | None) -> Reply:
    body = (
        text(lang, "reminder_late", case=case_code, due=late_due)
        if late_due
        else text(lang, "reminder", case=case_code)
    )
    return Reply(
        body,
        buttons=(
            Button(text(lang, "b_done"), checkin_token(occurrence_id, "done")),
            Button(text(lang, "b_snooze_1h"), checkin_token(occurrence_id, "s1h")),
            Button(text(lang, "b_snooze_1d"), checkin_token(occurrence_id, "s1d")),
            Button(text(lang, "b_cant"), checkin_token(occurrence_id, "cant")),
        ),
        kind="alert",
    )


def with_ack(lang: str, occurrence_id: str, body: str) -> Reply:
    return Reply(
        body,
        buttons=(Button(text(lang, "b_ack"), checkin_token(occurrence_id, "ack")),),
        kind="alert",
    )
