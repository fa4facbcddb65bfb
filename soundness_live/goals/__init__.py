"""Therapy goals (pure): goal files, criteria, progress and mastery, goal wording."""
