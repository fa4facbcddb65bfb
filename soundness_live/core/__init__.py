"""The runtime (pure): frame clock, engine events, scheduler, and the Session."""
