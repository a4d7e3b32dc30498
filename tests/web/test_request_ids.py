"""Request ids: a per-process random prefix and a counter, no system call per request."""

from __future__ import annotations

import os

from sellergate.web.requestlog import new_request_id


def test_ids_in_one_process_share_a_prefix_and_never_repeat() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert len({value[:10] for value in ids}) == 1
    assert all(value.isalnum() and value == value.lower() for value in ids)


def test_a_forked_worker_draws_a_prefix_of_its_own() -> None:
    parent = new_request_id()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    assert status == 0
    with os.fdopen(read) as pipe:
        from_child = pipe.read()
    assert from_child[:10] != parent[:10]
