import os
import uuid

from alpha_panda.core.ids import derived_event_id, event_id_millis, new_event_id


def test_new_ids_are_valid_version_7_and_sort_by_creation():
    ids = [new_event_id() for _ in range(2000)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    millis = [event_id_millis(i) for i in ids]
    assert millis == sorted(millis)


def test_derived_ids_are_deterministic_distinct_and_keep_the_cause_millisecond():
    cause = new_event_id()
    first = [derived_event_id(cause, i, "risk-manager") for i in range(5)]
    assert first == [derived_event_id(cause, i, "risk-manager") for i in range(5)]
    assert len(set(first)) == 5
    assert all(i.version == 7 and event_id_millis(i) == event_id_millis(cause) for i in first)
    assert derived_event_id(new_event_id(), 0, "risk-manager") != first[0]


def test_two_emitters_reacting_to_one_event_never_share_an_id():
    tick = new_event_id()
    momentum = [derived_event_id(tick, i, "alpha-panda.strategy-runner.momo") for i in range(3)]
    crossover = [derived_event_id(tick, i, "alpha-panda.strategy-runner.cross") for i in range(3)]
    assert set(momentum).isdisjoint(crossover)


def test_a_forked_child_draws_other_ids_than_its_parent():
    new_event_id()  # the parent's random pool is filled before the fork
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writer, new_event_id().bytes)
        os._exit(0)
    os.waitpid(child, 0)
    from_child = uuid.UUID(bytes=os.read(reader, 16))
    random_bits = (1 << 62) - 1  # below the millisecond, version and variant
    assert from_child.int & random_bits != new_event_id().int & random_bits
