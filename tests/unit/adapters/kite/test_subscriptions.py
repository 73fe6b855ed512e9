"""The commands that keep a connection's subscriptions in step, and the connection table."""

from __future__ import annotations

import json

from alpha_panda.adapters.kite.subscriptions import ConnectionSubscriptions, SubscriptionTable


def _decoded(messages: list[str]) -> list[dict[str, object]]:
    return [json.loads(message) for message in messages]


def test_a_fresh_socket_subscribes_the_whole_set_then_sets_its_mode() -> None:
    connection = ConnectionSubscriptions(1, (5, 3, 9))

    assert _decoded(connection.commands("full")) == [
        {"a": "subscribe", "v": [5, 3, 9]},
        {"a": "mode", "v": ["full", [5, 3, 9]]},
    ]
    assert connection.commands("full") == []


def test_a_change_unsubscribes_first_then_subscribes_only_the_new_instruments() -> None:
    connection = ConnectionSubscriptions(1, (1, 2, 3))
    connection.commands("quote")

    connection.want((2, 3, 4))

    assert connection.changed.is_set() and not connection.live
    assert _decoded(connection.commands("quote")) == [
        {"a": "unsubscribe", "v": [1]},
        {"a": "subscribe", "v": [4]},
        {"a": "mode", "v": ["quote", [4]]},
    ]


def test_wanting_nothing_closes_the_connection() -> None:
    connection = ConnectionSubscriptions(1, (1,))
    connection.want(())
    assert connection.closed.is_set()


def test_the_table_opens_closes_and_reports_the_change() -> None:
    table = SubscriptionTable()

    change, opened, closed = table.change(range(1, 3006))
    assert (len(change.added), change.removed, change.overflow, closed) == (3005, (), (), [])
    assert [len(connection.wanted) for connection in opened] == [3000, 5]

    change, opened, closed = table.change([*range(6, 3001), 7, 9999])
    assert change.added == (9999,)
    assert change.removed == (1, 2, 3, 4, 5, 3001, 3002, 3003, 3004, 3005)
    assert opened == [] and [connection.number for connection in closed] == [2]
    assert [connection.number for connection in table.connections] == [1]


def test_the_table_keeps_overflow_until_a_change_makes_room() -> None:
    table = SubscriptionTable()
    change, _, _ = table.change(range(1, 9003))
    assert change.overflow == table.overflow == (9001, 9002)

    change, opened, _ = table.change(range(3, 9003))
    assert not change.overflow and not table.overflow
    assert change.added == (9001, 9002) and change.removed == (1, 2) and opened == []
