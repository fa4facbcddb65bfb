"""The child's view: pictures for every cue, its own window and process (``child-view``)."""
