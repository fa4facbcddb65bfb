"""Session plans: an ordered list of activity steps a therapist runs as one session.

Pure: a plan is read from and written as TOML text, checked against the activity registry and
the presets (:mod:`~soundness_live.plans.plan`, :mod:`~soundness_live.plans.checks`), and found
among the shared plans, a child's own plans and the starter plans that ship with the program
(:mod:`~soundness_live.plans.library`). Writing a file is handed in by the caller, so this
package loads nothing of the shell.
"""
