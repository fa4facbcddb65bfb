"""``soundness-live clinic``: connect this laptop to the clinic's server, set the server up,
see what is pending, sync."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..config import data_dir, ensure_installation, load_settings, save_settings
from ..errors import ParameterError
from ..store.clinic.connection import ClinicAddress, connect_server, save_password
from ..store.clinic.schema import grant, migrate_server, set_share_names
from ..store.clinic.server import ClinicStore
from ..store.clinic.sync import sync
from ..store.records import Store


def cmd_clinic(args: argparse.Namespace) -> int:
    """Run one ``clinic`` sub-command."""
    command = {
        "connect": _connect, "init": _init, "status": _status, "sync": _sync,
    }[args.clinic_command]  # fmt: skip
    return command(args)


def _password(args: argparse.Namespace, prompt: str) -> str:
    """The password from standard input's first line (``--password-stdin``) or asked for."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)


def _connect(args: argparse.Namespace) -> int:
    """Check the server (reachable, password, schema version), then keep its address in
    config.toml and its password in the keyring or the private file."""
    home = data_dir()
    address = ClinicAddress.parse(args.url)  # TLS rules checked before anything is sent
    me = ensure_installation(home, args.laptop)
    password = _password(args, f"password of {address.named}: ")
    with ClinicStore.open(address.url, password=password) as clinic:
        shares = clinic.share_names()
    kept = save_password(home, address, password)
    save_settings(home, clinic_url=address.url)
    print(f"connected to the clinic server {address.named} (TLS: {address.sslmode or 'local'})")
    print(f"this laptop: {me.laptop!r}, id {me.installation_id}; password kept in {kept}")
    print("children's names " + ("are shared with the clinic" if shares else "stay on laptops"))
    return 0


def _init(args: argparse.Namespace) -> int:
    """Create or migrate the server's tables and grant the laptops' role its rights."""
    address = ClinicAddress.parse(args.url)
    password = _password(args, f"password of the administrator {address.named}: ")
    conn = connect_server(address, None, password, autocommit=True)
    try:
        before, after = migrate_server(conn)
        grant(conn, args.laptops)
        if args.share_names is not None:
            set_share_names(conn, args.share_names)
    finally:
        conn.close()
    done = "already at" if before == after else f"migrated from {before} to"
    print(f"clinic server {address.named}: schema {done} version {after}")
    print(f"role {args.laptops!r} may read and add records, never change or remove them")
    if args.share_names is not None:
        print("children's names " + ("are now shared" if args.share_names else "stay on laptops"))
    return 0


def _status(args: argparse.Namespace) -> int:
    """What this laptop has not sent and what a sync will and will not send; (when the server
    answers) what it has to fetch."""
    home = data_dir()
    settings = load_settings(home)
    with Store.open() as store:
        pending = store.unsent_counts()
        codes = [child.code for child in store.list_children()]
        if settings.clinic_url is None:
            print("not connected to a clinic server ('soundness-live clinic connect URL')")
        else:
            print(f"clinic server: {ClinicAddress.parse(settings.clinic_url).named}")
        for line in _pending_lines(pending, bool(settings.clinic_share_notes)):
            print(f"  {line}")
        if settings.clinic_url is not None:
            _to_fetch(store, settings.clinic_url, home, codes)
    return 0


def _pending_lines(pending: dict[str, int], share_notes: bool) -> list[str]:
    """What waits to be sent, what is kept back and why, what never goes."""
    notes = pending["notes"]
    return [
        f"to send: {pending['sessions']} sessions, {pending['goal versions']} goal versions"
        + (f", {notes} notes" if share_notes else ""),
        f"kept here: {pending['simulated sessions']} simulated sessions "
        "(sent only with 'clinic sync --include-simulated')",
        f"waiting: {pending['running sessions']} running sessions (sent once they end)",
        *([] if share_notes else [f"kept here: {notes} notes (clinic_share_notes is off)"]),
        "never sent: voice recordings; children's names unless the clinic shares names",
    ]


def _to_fetch(store: Store, url: str, home: object, codes: list[str]) -> None:
    from ..errors import StoreError

    me = ensure_installation(store.path.parent)
    try:
        with ClinicStore.open(url, store.path.parent) as clinic:
            there = clinic.session_uuids(codes, str(me.installation_id)) if codes else []
    except StoreError as error:
        print(f"  the server does not answer now: {error}")
        return
    known = store.known_uuids("sessions", codes) if codes else set()
    print(f"  to fetch: {len([uuid for uuid in there if uuid not in known])} sessions")


def _sync(args: argparse.Namespace) -> int:
    """Send finished sessions and fetch other laptops' (see store/clinic/sync.py)."""
    home = data_dir()
    settings = load_settings(home)
    if settings.clinic_url is None:
        raise ParameterError(
            "this laptop is not connected to a clinic server: "
            "run 'soundness-live clinic connect URL' first"
        )
    with Store.open() as store, ClinicStore.open(settings.clinic_url, home) as clinic:
        report = sync(store, clinic, include_simulated=args.include_simulated, children=args.child)
    for line in report.lines():
        print(line)
    return 0
