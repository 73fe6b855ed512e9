"""The `alpha-panda status` command: options, environment, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import aiohttp

from alpha_panda.domain.values import Namespace
from alpha_panda.status.client import EXAMPLE_URL as DEFAULT_URL
from alpha_panda.status.client import StatusClient, StatusError
from alpha_panda.status.screen import render

REQUEST_SECONDS = 10


def configure_status_parser(parser: argparse.ArgumentParser) -> None:
    """Add the status command's options."""
    parser.add_argument(
        "--url",
        default=os.environ.get("ALPHA_PANDA_API_URL", DEFAULT_URL),
        help=f"the API's base URL (ALPHA_PANDA_API_URL; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--namespace",
        type=Namespace,
        choices=list(Namespace),
        default=os.environ.get("ALPHA_PANDA_NAMESPACE", Namespace.PAPER.value),
        help="broker namespace (ALPHA_PANDA_NAMESPACE; default paper)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("ALPHA_PANDA_API_TOKEN"),
        help="bearer access token (ALPHA_PANDA_API_TOKEN)",
    )
    parser.add_argument(
        "--user",
        default=os.environ.get("ALPHA_PANDA_API_USER"),
        help="log in as this API user instead; the password comes from ALPHA_PANDA_API_PASSWORD",
    )


async def _snapshot_text(arguments: argparse.Namespace) -> tuple[str, bool]:
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        client = StatusClient(arguments.url, http, token=arguments.token)
        if arguments.user:
            password = os.environ.get("ALPHA_PANDA_API_PASSWORD")
            if not password:
                raise StatusError("--user needs the password in ALPHA_PANDA_API_PASSWORD")
            await client.log_in(arguments.user, password)
        snapshot = await client.snapshot(arguments.namespace)
    return render(snapshot), snapshot.healthy


def run_status(arguments: argparse.Namespace) -> int:
    """Print the status screen; 0 when all is ready, 1 when something is not, 2 on error."""
    try:
        text, healthy = asyncio.run(_snapshot_text(arguments))
    except StatusError as error:
        print(f"alpha-panda status: {error}", file=sys.stderr)
        return 2
    print(text)
    return 0 if healthy else 1
