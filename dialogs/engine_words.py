"""The engine's own words (yes/no/continue, refusals) in English and French."""

from __future__ import annotations

__all__ = ["engine_text"]

_TEXTS: dict[str, dict[str, str]] = {
    "yes": {"en": "Yes", "fr": "Oui"},
    "no": {"en": "No", "fr": "Non"},
    "continue": {"en": "Continue", "fr": "Continuer"},
    "no_session": {"en": "No dialog is running.", "fr": "Aucun dialogue en cours."},
    "ended": {"en": "This dialog has ended.", "fr": "Ce dialogue est terminé."},
    "unknown_dialog": {"en": "This dialog does not exist.", "fr": "Ce dialogue n'existe pas."},
    "unknown_node": {"en": "This step does not exist.", "fr": "Cette étape n'existe pas."},
    "stale_turn": {
        "en": "That button belongs to an earlier question.",
        "fr": "Ce bouton correspond à une question précédente.",
    },
    "unknown_option": {
        "en": "That is not one of the choices.",
        "fr": "Ce n'est pas l'un des choix proposés.",
    },
    "expected_option": {
        "en": "Please pick one of the choices.",
        "fr": "Merci de choisir l'une des options.",
    },
    "expected_text": {
        "en": "Please type your answer.",
        "fr": "Merci de taper votre réponse.",
    },
    "invalid_input": {"en": "That answer is not valid.", "fr": "Cette réponse n'est pas valide."},
    "too_short": {"en": "The answer is too short.", "fr": "La réponse est trop courte."},
    "too_long": {"en": "The answer is too long.", "fr": "La réponse est trop longue."},
    "not_number": {"en": "Please type a number.", "fr": "Merci de taper un nombre."},
    "not_date": {
        "en": "Please type a date such as 2025-03-31 or 31/03/2025.",
        "fr": "Merci de taper une date, par exemple 31/03/2025.",
    },
    "out_of_range": {
        "en": "The number is out of the expected range.",
        "fr": "Le nombre est hors de l'intervalle attendu.",
    },
    "bad_event": {"en": "This action is not possible now.", "fr": "Action impossible."},
}


def engine_text(key: str, lang: str) -> str:
    texts = _TEXTS[key]
    return texts.get(lang) or texts["en"]
