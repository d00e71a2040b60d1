"""drain takes only what already waits; where a batch is priced (a thread), the two lanes."""
from __future__ import annotations

import os
import threading

import pytest
import trio

from actors.kit import mailbox
from actors.messages import (
    ENGINE_UNAVAILABLE, HEAVY_NICE, HEAVY_QUEUE, LIGHT_WORK_LIMIT, Gather, OwnThreads, Spilled, drain,
    serve_batches, serve_heavy,
)
from dre.errors import DREError
from dre.pricing import Staged
from dre.pricing.result import Applied, Result


async def test_drain_takes_what_waits_up_to_max():
    send, receive = mailbox(10)
    for i in range(5):
        send.send_nowait(i)
    assert drain(await receive.receive(), receive, 3) == [0, 1, 2]
    assert drain(await receive.receive(), receive, 10) == [3, 4]
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()


class _Job:
    def __init__(self, pset: object, reply: Gather | None = None, name: str = "") -> None:
        self.pset = pset
        self.reply = reply or Gather(1)
        self.name = name


def _nice() -> int:
    """The calling thread's nice value (0 where there is no per-thread priority)."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) if hasattr(os, "getpriority") else 0


def _staged(price, steps: list | None = None):
    """``stage(job)`` for serve_batches: the heavy pass as price([job], None) in a kernel step;
    ``steps`` records (step, nice value of its thread)."""
    def stage(job) -> Staged:
        def kernel():
            if steps is not None:
                steps.append(("kernel", _nice()))
            return price([job], None)[0]

        def finish(raw):
            if steps is not None:
                steps.append(("finish", _nice()))
            return raw

        return Staged(kernel, finish)

    return stage


async def _serve(receive, price, answers: dict | None = None, heavy: trio.MemorySendChannel | None = None,
                 steps: list | None = None) -> None:
    def answer(job, result) -> None:
        if answers is not None:
            answers[job.name] = result
        job.reply.put(0, result)

    with OwnThreads("test-light", 2) as threads:
        await serve_batches(receive, threads, 64, price, answer, "test", heavy=heavy, stage=_staged(price, steps))


async def test_every_group_is_priced_in_a_worker_thread():
    """Never on the event loop, not even one basket: a long search there would stall every request."""
    seen: list[tuple[int, bool]] = []  # (group size, priced on the event loop's thread)

    def price(group: list, work_limit) -> list:
        seen.append((len(group), threading.current_thread() is threading.main_thread()))
        return [None] * len(group)

    for n in (1, 8, 9):
        send, receive = mailbox(64)
        for _ in range(n):
            send.send_nowait(_Job(pset=object))
        send.close()
        await _serve(receive, price)
    assert seen == [(1, False), (8, False), (9, False)]


async def test_the_loop_keeps_serving_while_a_basket_is_priced():
    """A task on the event loop runs (and here releases the pricing) while the pricing call waits."""
    gate = threading.Event()
    released: list[bool] = []

    def price(group: list, work_limit) -> list:
        released.append(gate.wait(5))  # False after 5 s: the loop was blocked, nobody opened it
        return [None] * len(group)

    send, receive = mailbox(4)
    send.send_nowait(_Job(pset=object))
    send.close()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, receive, price)
        await trio.sleep(0.05)
        gate.set()
    assert released == [True]


async def test_groups_of_one_batch_are_priced_at_once():
    """Two tenants' groups in one batch: the second is answered while the first still prices."""
    gate = threading.Event()
    slow, fast = object(), object()

    def price(group: list, work_limit) -> list:
        if group[0].pset is slow:
            gate.wait(5)
        return [group[0].name] * len(group)

    send, receive = mailbox(4)
    jobs = [_Job(slow, name="slow"), _Job(fast, name="fast")]
    for job in jobs:
        send.send_nowait(job)
    send.close()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, receive, price)
        with trio.fail_after(2):
            assert await jobs[1].reply.wait() == ["fast"]
        assert not jobs[0].reply.answered
        gate.set()
    assert await jobs[0].reply.wait() == ["slow"]


async def test_a_basket_arriving_while_a_batch_is_priced_does_not_wait_for_it():
    """Same promotion set, different batches: the second is priced on the other thread."""
    gate = threading.Event()
    entered = threading.Event()

    def price(group: list, work_limit) -> list:
        if group[0].name == "slow":
            entered.set()
            gate.wait(5)
        return [j.name for j in group]

    send, receive = mailbox(4)
    slow, fast = _Job(object, name="slow"), _Job(object, name="fast")
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_serve, receive, price)
        send.send_nowait(slow)
        await trio.to_thread.run_sync(entered.wait, 5)  # the slow batch is being priced
        send.send_nowait(fast)
        with trio.fail_after(2):
            assert await fast.reply.wait() == ["fast"]
        assert not slow.reply.answered
        gate.set()
        send.close()
    assert await slow.reply.wait() == ["slow"]


def _result(exact: bool, tag: str) -> Result:
    return Result((), (), (), (), (Applied(tag, 1, 0, None),), exact=exact)


async def test_baskets_cut_short_are_priced_again_on_the_heavy_lane():
    """The light pass bounds the search by LIGHT_WORK_LIMIT; a Result cut short by it is priced
    again with the full bound (work_limit None) on the heavy lane, and that is the answer: its
    kernel step on the low-priority thread, the Python step (the Result) on a normal one."""
    calls: list[tuple[str, int | None]] = []
    steps: list[tuple[str, int]] = []

    def price(group: list, work_limit) -> list:
        calls.extend((j.name, work_limit) for j in group)
        return [_result(exact=work_limit is None or j.name == "small", tag=f"{j.name}@{work_limit}") for j in group]

    heavy_send, heavy_receive = mailbox(HEAVY_QUEUE)
    send, receive = mailbox(8)
    jobs = [_Job(object, name="big"), _Job(object, name="small")]
    answers: dict = {}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve_heavy, heavy_receive)
        for job in jobs:
            send.send_nowait(job)
        send.close()
        async with heavy_send:
            await _serve(receive, price, answers, heavy=heavy_send, steps=steps)
    assert calls[:2] == [("big", LIGHT_WORK_LIMIT), ("small", LIGHT_WORK_LIMIT)] and calls[2:] == [("big", None)]
    if hasattr(os, "getpriority") and _nice() == 0:
        assert steps == [("kernel", HEAVY_NICE), ("finish", 0)]
    assert answers["small"].applied[0].promotion_id == f"small@{LIGHT_WORK_LIMIT}"
    assert answers["big"].applied[0].promotion_id == "big@None" and answers["big"].exact


async def test_the_heavy_lane_skips_baskets_nobody_waits_for():
    priced: list[str] = []
    send, receive = mailbox(4)
    gone = _Job(object, name="gone")
    gone.reply.fail(RuntimeError("deadline"))
    for job in (gone, _Job(object, name="wanted")):
        send.send_nowait(Spilled(job, lambda job=job: Staged(lambda: priced.append(job.name), lambda raw: raw),
                                 lambda result: None))
    send.close()
    await serve_heavy(receive)
    assert priced == ["wanted"]


async def test_a_full_heavy_lane_answers_503_at_once():
    def price(group: list, work_limit) -> list:
        return [_result(exact=work_limit is None, tag="x") for _ in group]

    heavy_send, heavy_receive = mailbox(1)  # nobody serves it: the second spill finds it full
    send, receive = mailbox(4)
    jobs = [_Job(object, name=str(i)) for i in range(2)]  # one group: spilled in order
    for job in jobs:
        send.send_nowait(job)
    send.close()
    await _serve(receive, price, heavy=heavy_send)
    assert heavy_receive.receive_nowait().job is jobs[0]
    with pytest.raises(DREError) as info:
        await jobs[1].reply.wait()
    assert info.value.status == 503 and info.value.code == ENGINE_UNAVAILABLE


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no per-thread priority here")
async def test_heavy_work_runs_on_a_low_priority_thread_of_its_own():
    """The heavy lane yields the CPU to the event loop and the light lane; its priority stays with
    its own thread (trio's thread cache, which every to_thread call shares, keeps its own)."""
    def whoami() -> tuple[int, int]:
        tid = threading.get_native_id()
        return tid, os.getpriority(os.PRIO_PROCESS, tid)

    with OwnThreads("test-heavy", 1, HEAVY_NICE) as thread:
        tid, nice = await thread.run(whoami)
        assert (await thread.run(whoami))[0] == tid  # the same thread every time
        with pytest.raises(ZeroDivisionError):
            await thread.run(lambda: 1 // 0)
    assert tid != threading.get_native_id()
    assert nice == HEAVY_NICE or os.getpriority(os.PRIO_PROCESS, 0) != 0  # already niced: cannot tell
    _, cached = await trio.to_thread.run_sync(whoami)
    assert cached == os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
