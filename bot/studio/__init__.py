"""Relais Studio: guidance in a browser (issue 20). Psychologists read, submit, review,
publish and roll back dialogs; coordinators read. No case data is ever shown.

Served by `relais run` when `[studio] listen` is set (`bot.runtime._start_studio`), behind
the organisation's reverse proxy (README, "Relais Studio"). aiohttp + Jinja2, rendered on
the server; no inline script or style (the Content Security Policy forbids them).

Modules:
    config      `[studio]`: listen, public_url, session_minutes, link_minutes
    usecases    StudioUseCases (on `Relais`): studio_link, studio_login, studio_visitor,
                studio_logout; one read per page for psychologists and coordinators
                (Action.STUDIO_READ: studio_overview, studio_dialog, studio_drafts), another
                team's dialog refused (`OtherTeamsDialog`); studio_strings (export),
                studio_strings_imported (an upload's counts, Action.DRAFT_DIALOG)
    context     StudioContext (services), Visitor (who is logged in), require_reader,
                require_psychologist, render, text, csrf_token, local_time, may
    security    middlewares: security headers (CSP), session cookie -> Visitor, form token
    app         build_app(context) -> web.Application; PAGE_MODULES; StudioServer
    login       /login, /login/<token> (GET shows a button, POST uses the link), /logout
    pages       /, /dialogs/<id> (picture, history, rollback), /dialogs/<id>/v<n>.svg;
                read_dialog (the audited read every dialog page goes through: 404 for
                another team's)
    review      /drafts, /submit, /drafts/<id> (diff, pictures, approve, send back,
                publish, withdraw), /drafts/<id>/picture.svg
    cards       /dialogs/<id>/card?lang= (a crisis dialog's pocket card, bot.cards)
    diff        side_by_side(before, after) -> rows (difflib)
    pictures    Drawings: dialogs parsed from stored YAML and their SVG (Graphviz)
    workspace   the working copy of a dialog being edited, per browser session (memory only)
    editor      /dialogs/<id>/edit (the text view, Submit as draft), /dialogs/<id>/check
                (the live check, static/editor.js), /editor/schema-help.json
    editor_structured  /dialogs/<id>/structured (a card per screen, one-thing edits)
    play        /dialogs/<id>/try (the engine with nothing real done), /dialogs/<id>/tests
    translate   /dialogs/<id>/translate (PO/XLIFF download, upload checked and applied to the
                working copy or submitted as a draft), /dialogs/<id>/strings (the file)
    shown       the texts a session's pages showed (their pictures draw from them unaudited)
    refusals    publishing refusals in the Studio's words, with a link to the page
    throttle    failed logins per client address (429 after 10 in 10 minutes)

Adding pages (the extension interface)
--------------------------------------
A page module is a Python module in this package with a module-level

    routes = web.RouteTableDef()

whose handlers are `async def handler(request: web.Request) -> web.StreamResponse`.
List the module's dotted name in `bot.studio.app.PAGE_MODULES`; `build_app` adds its routes
(and calls the module's `setup(app)`, if it has one, before the app starts).
In a handler:

    from bot.studio.context import (context_of, require_psychologist, require_reader,
                                    render, text, visitor_of)

    actor = require_psychologist(request)   # 303 to /login if nobody, 403 if not allowed
    context = context_of(request)           # .relais (use cases), .publishing
                                            # (PublishingService: submit_draft, review_draft,
                                            # publish_draft, draft_tests, refresh ...),
                                            # .dialogs (running DialogRegistry: .library),
                                            # .catalog, .config, .clock, .drawings
    lang = visitor_of(request).lang         # the practitioner's language (en, fr)
    return render(request, "editor.html", source=..., error="")
    # a publishing refusal: in the Studio's words, with a link (bot/studio/refusals.py)
    except PublishRefused as refused:
        return render(request, "page.html", **refusal(request, refused, dialog_id).values())

Templates live in bot/studio/templates/ and extend "base.html":

    {% extends "base.html" %}
    {% set section = "submit" %}            {# optional: marks the nav link as current #}
    {% block title %}...{% endblock %}
    {% block head %}<link rel="stylesheet" href="/static/editor.css">{% endblock %}
    {% block main %}...{% endblock %}
    {% block scripts %}<script src="/static/editor.js" defer></script>{% endblock %}

Each template gets `t(key, **values)` (the catalog's `[studio]` texts: put new keys in
content/catalog/en.toml AND fr.toml), `lang`, `csrf`, `actor`, `may("DRAFT_DIALOG")` (an
`Action` name), and `done` / `error` (messages shown by base.html above the main block).
Every POST form carries `<input type="hidden" name="csrf" value="{{ csrf }}">`; a POST
without it is refused (403) by the middleware before any handler runs. A script that POSTs
(fetch) sends the same token as a form field `csrf` (read it from a hidden input; the page
has no inline script). Scripts and styles are files under bot/studio/static/ (served at
/static/); a third-party script is a pinned npm package vendored there with its licence.
"""
