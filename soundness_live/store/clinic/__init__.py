"""The clinic backend: a shared PostgreSQL server that laptops send finished sessions to.

- :mod:`.connection`: the server's address, TLS rules, where its password is kept, connecting;
- :mod:`.schema`: the server's tables, created and migrated by the clinic's administrator,
  and the GRANTs that let the laptops insert and read but never change or remove;
- :mod:`.server`: :class:`~.server.ClinicStore`, the server as a store (what sync writes and
  reads; the bundle the exports read, like the laptop's SQLite store);
- :mod:`.sync`: sending and fetching, idempotent by UUID and resumable after any failure.

psycopg (PostgreSQL's driver) is an optional extra (``pip install 'soundness-live[clinic]'``):
without it, everything but the clinic works as before.
"""
