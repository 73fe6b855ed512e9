"""The `alpha-panda users ...` command: add, list, change, disable, enable and remove API users.

Passwords are never taken from the command line (shell history, process lists): `add` reads one
from standard input with `--password-stdin`, or generates one and prints it once.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from alpha_panda.auth.roles import Role
from alpha_panda.auth.users import UserStore, generate_password


def configure_users_parser(parser: argparse.ArgumentParser) -> None:
    """Add the `add`, `list`, `set-role`, `disable`, `enable` and `remove` sub-commands."""
    actions = parser.add_subparsers(dest="users_action", required=True)
    add = actions.add_parser("add", help="create a user and print its password if generated")
    add.add_argument("username")
    add.add_argument("--role", type=Role, choices=list(Role), required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    actions.add_parser("list", help="list users and their roles")
    set_role = actions.add_parser("set-role", help="change a user's role")
    set_role.add_argument("username")
    set_role.add_argument("role", type=Role, choices=list(Role))
    for action, purpose in (
        ("disable", "refuse a user's login and every token it holds, at once"),
        ("enable", "let a disabled user log in again"),
        ("remove", "delete a user; its tokens are refused at once"),
    ):
        actions.add_parser(action, help=purpose).add_argument("username")


async def run_users_command(
    arguments: argparse.Namespace, store: UserStore, read_password: Callable[[], str]
) -> str:
    """Carry out a parsed `users` command and return the text to print."""
    action = arguments.users_action
    if action == "add":
        generated = not arguments.password_stdin
        password = generate_password() if generated else read_password().rstrip("\n")
        user = await store.add(arguments.username, arguments.role, password)
        shown = f"created {user.username} ({user.role})"
        return f"{shown}; password (shown once): {password}" if generated else shown
    if action == "list":
        users = await store.list_users()
        return "\n".join(
            f"{user.username}\t{user.role}\t{'disabled' if user.disabled else 'enabled'}"
            f"\t{user.created_at:%Y-%m-%d}"
            for user in users
        )
    if action == "set-role":
        user = await store.set_role(arguments.username, arguments.role)
        return f"{user.username} is now {user.role}"
    if action in ("disable", "enable"):
        user = await store.set_disabled(arguments.username, action == "disable")
        return f"{user.username} is now {action}d"
    await store.remove(arguments.username)
    return f"removed {arguments.username}"
