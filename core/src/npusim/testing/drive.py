"""Test drivers: offer timed request/packet streams to a component and collect every completion."""
from __future__ import annotations

from collections import deque


def _vec(cls_name: str):
    import cppyy

    return cppyy.gbl.std.vector[getattr(cppyy.gbl.npusim, cls_name)]()


def make_request(rid: int, addr: int, nbytes: int, is_write: bool, channel: int, flags: int = 1, src: int = 0):
    """A npusim::MemRequest."""
    import cppyy

    r = cppyy.gbl.npusim.MemRequest()
    r.id, r.addr, r.bytes, r.is_write, r.channel, r.flags, r.src = rid, addr, nbytes, int(is_write), channel, flags, src
    return r


def drive_memory(dev, reqs: list[tuple[int, int, int, int, bool]], max_steps: int = 10_000_000):
    """Offer reqs [(time_ps, channel, addr, bytes, is_write)] in time order (a refused request is retried,
    later ones wait behind it). Returns [(id, send_time, done_time, channel, bytes, is_write)]; raises on deadlock."""
    pending = deque(sorted((t, i, ch, a, b, w) for i, (t, ch, a, b, w) in enumerate(reqs)))
    sent: dict[int, tuple[int, int, int, bool]] = {}
    out = []
    done = _vec("MemCompletion")
    now = 0
    for _ in range(max_steps):
        while pending and pending[0][0] <= now:
            t, i, ch, a, b, w = pending[0]
            if not dev.try_send(make_request(i, a, b, w, ch), now):
                break
            sent[i] = (now, ch, b, w)
            pending.popleft()
        nxt = dev.next_event()
        if pending and pending[0][0] > now:
            nxt = min(nxt, pending[0][0])
        if nxt >= 2**62:
            if pending or len(out) < len(sent):
                raise AssertionError(f"deadlock: {len(pending)} unsent, {len(sent) - len(out)} in flight, device idle")
            return out
        if nxt <= now:
            nxt = now + 1
        now = nxt
        done.clear()
        dev.advance(now, done)
        for c in done:
            rid = int(c.req.id)
            st, ch, b, w = sent[rid]
            out.append((rid, st, int(c.time), ch, b, w))
    raise AssertionError("driver step limit reached (device never drains)")


def make_packet(pid: int, src: int, dst: int, nbytes: int):
    import cppyy

    p = cppyy.gbl.npusim.Packet()
    p.id, p.src, p.dst, p.bytes = pid, src, dst, nbytes
    p.req.id = pid
    return p


def drive_network(net, pkts: list[tuple[int, int, int, int]], max_steps: int = 10_000_000):
    """Offer pkts [(time_ps, src, dst, bytes)] per source in order. Returns [(id, send, deliver, src, dst)]."""
    queues: dict[int, deque] = {}
    for i, (t, s, d, b) in enumerate(sorted(pkts)):
        queues.setdefault(s, deque()).append((t, i, s, d, b))
    sent: dict[int, tuple[int, int, int]] = {}
    out = []
    got = _vec("PacketDelivery")
    now = 0
    for _ in range(max_steps):
        for q in queues.values():
            while q and q[0][0] <= now:
                t, i, s, d, b = q[0]
                if not net.try_send(make_packet(i, s, d, b), now):
                    break
                sent[i] = (now, s, d)
                q.popleft()
        nxt = net.next_event()
        waiting = [q[0][0] for q in queues.values() if q]
        future = [t for t in waiting if t > now]
        if future:
            nxt = min(nxt, min(future))
        if nxt >= 2**62:
            if any(queues.values()) or len(out) < len(sent):
                raise AssertionError("deadlock: network idle with packets unsent or in flight")
            return out
        if nxt <= now:
            nxt = now + 1
        now = nxt
        got.clear()
        net.advance(now, got)
        for g in got:
            pid = int(g.pkt.id)
            st, s, d = sent[pid]
            out.append((pid, st, int(g.time), int(g.pkt.src), int(g.pkt.dst)))
    raise AssertionError("driver step limit reached (network never drains)")
