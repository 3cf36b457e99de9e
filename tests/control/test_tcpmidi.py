"""Raw MIDI bytes over a socket, read a little at a time."""

import socket

import mido

from livedance.control.tcpmidi import CHUNK, TcpInput


def pair():
    here, there = socket.socketpair()
    return TcpInput(here), there


def test_messages_come_out_whole_and_in_order_across_reads():
    port, sender = pair()
    sent = [mido.Message("control_change", control=k % 128, value=k % 128) for k in range(CHUNK)]
    sender.sendall(b"".join(m.bin() for m in sent))
    got = []
    while len(got) < len(sent):
        got += list(port.iter_pending())
    assert got == sent
    port.close()
    sender.close()


def test_only_what_is_taken_is_read_from_the_socket():
    port, sender = pair()
    sender.sendall(mido.Message("clock").bin() * 100_000)  # a flood waiting in the socket
    taken = 0
    for _ in port.iter_pending():
        taken += 1
        if taken == 10:
            break
    waiting = port._sock.recv(1_000_000, socket.MSG_PEEK)
    assert len(waiting) >= 100_000 - CHUNK  # the rest stays in the socket: the reader sets the pace
    port.close()
    sender.close()


def test_the_server_going_away_closes_the_port():
    port, sender = pair()
    sender.sendall(mido.Message("start").bin())
    sender.close()
    assert [m.type for m in port.iter_pending()] == ["start"]
    assert port.closed
