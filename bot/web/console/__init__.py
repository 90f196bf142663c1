"""The staff review console, mounted at ``/console`` by :func:`bot.web.app.create_app`.

Staff read what visitors asked (Rasa's tracker store, summarised in
:mod:`.summary`), tag and correct it (:mod:`.corrections` turns corrections
into NLU training data) and work the application and hand-off queues. Access
is for staff accounts only (:mod:`.auth`); pages are rendered on the server.
"""
