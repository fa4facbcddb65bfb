"""The child's side (pure): profile, playing aids, device roles, virtual child."""
