"""The therapist's remote in a browser: a tablet or a phone runs the session.

A web server of its own process (:mod:`.server`, started by ``engine --remote`` or ``run
--remote``: :mod:`.launch`), a client of the engine like the therapist's screen
(:mod:`.bridge`): the same command table, the same checks, the same child limits. A device
pairs with the code shown on the laptop (:mod:`.pairing`); the page (``static/``) is served
with its script and style, nothing from elsewhere (:mod:`.app`). Names of children stay on the
laptop unless the therapist turns them on for a device (:mod:`.views`).
"""
