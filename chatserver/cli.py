"""``chatserver``: serve, add operator accounts, purge, check the configuration.

Every command reads the same configuration file, so ``--config`` and ``--data`` mean the
same everywhere. Errors are printed for a person to act on, with exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import re
import sys
from pathlib import Path

import segno

from chatserver import accounts, event_loop, i18n, shutdown
from chatserver.app import Server, build_server, default_limits
from chatserver.backends.base import StoreUnusable
from chatserver.backends.embedded import SqliteStore
from chatserver.backends.embedded.store import not_a_folder
from chatserver.backends.redis_mode import DEFAULT_PREFIX, check_shared_config, open_redis_mode
from chatserver.backends.redis_records.store import where
from chatserver.backends.redis_store import RedisStore
from chatserver.cli_config import check_config as check
from chatserver.clock import SystemClock
from chatserver.errors import ChatError, Unavailable
from chatserver.hub.events import EventBus
from chatserver.hub.followup.spaces import Spaces
from chatserver.node_life import NodeRefused
from chatserver.privacy.retention import purge as run_purge
from chatserver.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings


def _settings(path: str | None) -> Settings:
    try:
        return load_settings(path or DEFAULT_CONFIG)
    except ConfigError as error:
        print(error, file=sys.stderr)
        print("Run `chatserver check-config` to see every problem.", file=sys.stderr)
        raise SystemExit(1) from None


# a node's name: it starts every Engine.IO session id, and a load balancer matches on it
NODE_NAME = re.compile(r"[a-z0-9-]{1,32}")
# what the distributed mode's keys start with ("{...}" keeps them in one Redis Cluster slot)
PREFIX = re.compile(r"[A-Za-z0-9:_.{}-]{1,64}")


def _database(settings: Settings, data: str | None) -> Path:
    """``DIR/chatserver.db``, the folder made if missing; a folder that is a file is refused."""
    folder = Path(data or settings.server.data_dir)
    if folder.exists() and not folder.is_dir():
        raise StoreUnusable(not_a_folder(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnusable(f"Cannot create the data folder {folder}: {error.strerror}.") from None
    return folder / "chatserver.db"


def serve(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    # aiosqlite logs every SQL parameter (message text!) at DEBUG: never let it
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.node is not None and not NODE_NAME.fullmatch(args.node):
        print(
            f"--node {args.node!r}: expected 1 to 32 lower-case letters, digits or '-', e.g. "
            "--node chat1 (the load balancer routes long-polling on it, docs/deployment.md)",
            file=sys.stderr,
        )
        return 2
    if args.redis:
        if args.node is None:
            print(
                "--redis needs --node NAME: every node sharing a Redis needs a name of its own,"
                " e.g. --node chat1 (docs/deployment.md)",
                file=sys.stderr,
            )
            return 2
        if not PREFIX.fullmatch(args.redis_prefix):
            print(
                f"--redis-prefix {args.redis_prefix!r}: expected 1 to 64 letters, digits or"
                " ':_-.{}', e.g. chat: (the same on every node)",
                file=sys.stderr,
            )
            return 2
        return _serve_redis(args, settings)
    database = _database(settings, args.data)
    store = SqliteStore(database, scrub_delay=settings.retention.scrub_after_seconds)
    server = build_server(settings, store, SystemClock(), node=args.node or "")
    return _listen(server, settings, args, [f"Data: {database}"])


def _listen(server: Server, settings: Settings, args: argparse.Namespace, where: list[str]) -> int:
    host, port = _address(settings, args)

    def announce(url: str) -> None:
        for lang in ("en", "nl"):
            print(i18n.t(lang, "server.started", url=url), flush=True)
        for line in where:
            print(line, flush=True)
        for lang in ("en", "nl"):
            print(i18n.t(lang, "server.add_operator"), flush=True)

    # on SIGTERM: drain, flush the store, exit within server.shutdown_seconds (shutdown.py)
    try:
        return shutdown.serve(server, host, port, settings.server.shutdown_seconds, announce)
    except OSError as error:  # the port is taken, the address is not this machine's ...
        print(f"chatserver: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1


def _address(settings: Settings, args: argparse.Namespace) -> tuple[str, int]:
    host = args.host or settings.server.host
    return host, args.port if args.port is not None else settings.server.port


def _serve_redis(args: argparse.Namespace, settings: Settings) -> int:
    """The distributed mode: this node on the Redis every node shares (redis_mode.py)."""
    host, port = _address(settings, args)

    async def run() -> int:
        clock = SystemClock()
        mode = await open_redis_mode(
            args.redis,
            args.node,
            settings,
            clock,
            default_limits(settings),
            prefix=args.redis_prefix,
        )
        try:
            server = build_server(
                settings,
                mode.store,
                clock,
                node=args.node,
                edges=mode.edges,
                floor=mode.floor,
                client_manager=mode.manager,
                life=mode.life,
            )

            def announce(url: str) -> None:
                for lang in ("en", "nl"):
                    print(i18n.t(lang, "server.started", url=url), flush=True)
                print(
                    f"Redis: {where(args.redis)}, prefix {args.redis_prefix}, node {args.node},"
                    f" configuration {mode.config.fingerprint[:12]}",
                    flush=True,
                )

            seconds = settings.server.shutdown_seconds
            return await shutdown.serve_until_stopped(server, host, port, seconds, announce)
        finally:
            await mode.close()

    try:
        return event_loop.run(run())
    except OSError as error:  # the port is taken, the address is not this machine's ...
        print(f"chatserver: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1


def add_operator(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    lines = tuple(x for x in (args.lines or "").split(",") if x)
    unknown = [x for x in lines if settings.line(x) is None]
    if unknown:
        known = ", ".join(line.id for line in settings.lines)
        print(f"Unknown line(s) {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return 1
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    try:
        account = accounts.new_account(
            args.username,
            password,
            args.role,
            args.alias,
            lines=lines,
            languages=tuple(x for x in args.languages.split(",") if x),
            capacity=args.capacity or settings.routing.default_capacity,
            backup=args.backup,
            two_factor_roles=settings.accounts.two_factor_roles,
        )
    except ChatError as error:
        print(error.message, file=sys.stderr)
        return 1

    async def store_it() -> None:
        store = await _records(settings, args, "operator add")
        try:
            await store.add_account(account)
        finally:
            await store.close()

    try:
        asyncio.run(store_it())
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Created {account.role} {account.username} (alias {account.alias}, id {account.id}).")
    if account.totp_secret:
        # shown once, here: the secret is needed to log in and nobody can read it back later
        uri = accounts.provisioning_uri(account)
        print(f"Two-step verification is required for {account.role}s. Scan this code with an")
        print("authenticator app, or enter the URI by hand; keep it secret:")
        print(uri)
        segno.make(uri, error="m").terminal(compact=True)
    return 0


def purge(args: argparse.Namespace) -> int:
    """Erase what the retention policy says is due, now; ``--dry-run`` only tells what.

    The running server purges on its own schedule (``retention.purge_interval_minutes``);
    this is for an administrator who wants to see what is due, or to purge right after
    shortening a term. Erasing is idempotent: a second run finds nothing left to remove.
    """
    settings = _settings(args.config)
    if not args.redis:
        database = _database(settings, args.data)
        if not database.exists():  # nothing stored yet: do not create an empty database
            print(f"No database at {database}: nothing to purge.")
            return 0

    async def run() -> list[str]:
        # scrub_delay=None: the purge scrubs itself (and close would), no timer to outlive us
        store = await _records(settings, args, "purge")
        try:
            clock = SystemClock()
            spaces = Spaces(settings, store, clock, EventBus())
            report = await run_purge(
                store, settings, clock.now(), dry_run=args.dry_run, spaces=spaces.purge_idle
            )
        finally:
            await store.close()
        return report.lines()

    for line in asyncio.run(run()):
        print(line)
    return 0


async def _records(
    settings: Settings, args: argparse.Namespace, command: str
) -> SqliteStore | RedisStore:
    """The records ``--redis`` names (the distributed mode's, under ``--redis-prefix``), or
    the SQLite file in ``--data``, opened; with ``scrub_delay=None`` close scrubs at once.

    The shared records are touched only with the running nodes' configuration, as a node
    joins only with it (``NodeRefused`` otherwise): a purge by other retention terms would
    erase what the nodes keep, an account for a line they do not have would wait for ever."""
    store: SqliteStore | RedisStore
    if args.redis:
        await check_shared_config(args.redis, args.redis_prefix, settings, command)
        store = RedisStore(args.redis, args.redis_prefix, scrub_delay=None)
    else:
        store = SqliteStore(_database(settings, args.data), scrub_delay=None)
    await store.open()
    return store


def check_config(args: argparse.Namespace) -> int:
    return check(args.config or DEFAULT_CONFIG)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="chatserver", description="Anonymous crisis chat server")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the server")
    run.add_argument("--config")
    run.add_argument("--data", help="folder for the SQLite file (default: server.data_dir)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    _redis_options(run, "for the distributed mode: every node on this Redis acts as one server")
    run.add_argument(
        "--node",
        help="this server's name behind a load balancer: session ids start with it, so "
        "long-polling can be routed without cookies (docs/deployment.md)",
    )
    run.set_defaults(func=serve)

    operator = commands.add_parser("operator", help="manage operator accounts")
    operator_commands = operator.add_subparsers(dest="operator_command", required=True)
    add = operator_commands.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--alias", help="the name visitors see (default: the username)")
    add.add_argument("--lines", help="comma-separated line ids (default: every line)")
    add.add_argument("--languages", default="nl,en")
    add.add_argument(
        "--capacity", type=int, help="conversations at once (default: routing.default_capacity)"
    )
    add.add_argument("--backup", action="store_true", help="may be called in as backup")
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument("--config")
    add.add_argument("--data")
    _redis_options(add, "the distributed mode's records, instead of --data")
    add.set_defaults(func=add_operator)

    erase = commands.add_parser(
        "purge", help="erase transcripts, notes and audit entries past their retention term"
    )
    erase.add_argument("--config")
    erase.add_argument("--data", help="folder for the SQLite file (default: server.data_dir)")
    erase.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    _redis_options(erase, "the distributed mode's records, instead of --data")
    erase.set_defaults(func=purge)

    check = commands.add_parser("check-config", help="validate the configuration")
    check.add_argument("--config")
    check.set_defaults(func=check_config)
    return top


def _redis_options(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument("--redis", metavar="URL", help=f"redis://host:6379/0: {what}")
    command.add_argument(
        "--redis-prefix",
        default=DEFAULT_PREFIX,
        metavar="PREFIX",
        help=f"what every key starts with (default {DEFAULT_PREFIX}; the same on every node)",
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except (StoreUnusable, NodeRefused) as error:  # a damaged file, another node's settings
        print(f"chatserver: {error}", file=sys.stderr)
        return 1
    except Unavailable:  # Redis went away during start-up
        print(f"chatserver: Redis at {where(args.redis)} stopped answering.", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    raise SystemExit(main())
