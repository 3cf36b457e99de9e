"""The yardstick: a fixed round of work whose CPU time says how fast the machine is now."""

import time

from livedance.tools.yardstick import Yardstick


def test_a_round_costs_a_few_milliseconds_of_this_threads_cpu():
    seconds = Yardstick().measure()
    assert 0.0001 < seconds < 0.1


def test_the_yardstick_runs_on_its_callers_thread_alone():
    """Its CPU time is the whole cost only if no pool thread does part of it."""
    stick = Yardstick()
    thread, process = time.thread_time(), time.process_time()
    for _ in range(5):
        stick.measure()
    thread, process = time.thread_time() - thread, time.process_time() - process
    assert process < 1.3 * thread + 0.005
