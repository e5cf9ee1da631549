"""Many students on one class board: a real redis-server and a real `posesim-cam class board`
on loopback, and simulated students publishing what ``ClassLink`` publishes (the name claim's
check and renewal, then the live state), 5 times a second each, each student on a Redis
connection of its own.

    python bench/class_load.py                       # 1,000 students for 120 s, then a ramp
    python bench/class_load.py --students 1000 --seconds 120 --ramp 250,500,1000,2000,4000

For each count, over a window that starts once every student's connection is open: the publish
rate asked for and reached, the share of the published messages the board took,
publish-to-board lag p50/p95 (the message's ``sent`` stamp to the board taking it, same clock),
the board's CPU and memory, Redis's CPU and memory, and how long `GET /board.json` takes. The
students are worker processes (one per core), each looping over its students' connections; where
they cannot keep up, the harness is the limit, and the table says so ("reached" < "asked").
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from posesim_cam.classroom.keys import CLAIM_TTL, LIVE_TTL, MESSAGE_VERSION, ClassKeys
from posesim_cam.classroom.names import name_key
from tests.classroom.redis_server import RedisServer
from tests.control.browser import SCRIPT, free_port

HZ = 5.0
CLASS = "load"


def students(port: int, first: int, count: int, seconds: float, done: object, go: object) -> None:
    """``count`` students, publishing as ``ClassLink._publish_live`` does, for ``seconds`` once
    ``go`` is set (after every connection is open); puts (published, seconds) on ``done``."""
    import redis

    keys = ClassKeys(CLASS)
    rng = random.Random(first)
    clients = [redis.Redis(port=port, decode_responses=True, protocol=2) for _ in range(count)]
    for client in clients:
        client.ping()
    done.put(("ready", 0.0))  # type: ignore[attr-defined]
    go.wait()  # type: ignore[attr-defined]
    names = [f"Student {first + k:05d}" for k in range(count)]
    scores = [rng.uniform(20, 90) for _ in range(count)]
    period = 1.0 / HZ
    start = time.monotonic()
    tick = 0
    published = 0
    while time.monotonic() - start < seconds:
        for k, (client, name) in enumerate(zip(clients, names, strict=True)):
            scores[k] = min(100.0, max(0.0, scores[k] + rng.uniform(-3, 3)))
            message = json.dumps({"v": MESSAGE_VERSION, "player": name,
                                  "score": round(scores[k], 1), "grade": None, "target": "dance",
                                  "state": "playing", "sent": time.time()})  # fmt: skip
            claim = client.pipeline(transaction=False)  # classroom.link.hold_name
            claim.set(keys.claim(name), "bench", nx=True, ex=CLAIM_TTL)
            claim.get(keys.claim(name))
            claim.execute()
            client.expire(keys.claim(name), CLAIM_TTL)
            pipe = client.pipeline(transaction=False)
            pipe.publish(keys.live, message)
            pipe.hset(keys.players, name_key(name), message)
            pipe.expire(keys.players, LIVE_TTL)
            pipe.execute()
            published += 1
        tick += 1
        delay = start + tick * period - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    done.put((published, time.monotonic() - start))  # type: ignore[attr-defined]
    for client in clients:
        client.close()


def get_json(port: int, path: str) -> tuple[dict, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    body = connection.getresponse().read()
    return json.loads(body), time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_board(server: RedisServer) -> tuple[subprocess.Popen, int]:
    """A fresh `posesim-cam class board` (each count starts with an empty board)."""
    port = free_port()
    board = subprocess.Popen(
        [str(SCRIPT), "class", "board", server.url(CLASS), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get_json(port, "/board.json")
            return board, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the board did not start")


def measure(count: int, seconds: float, server: RedisServer) -> dict:
    client = server.client()
    client.flushall()
    board, board_port = start_board(server)
    try:
        return _measure(count, seconds, server, board, board_port)
    finally:
        board.terminate()
        board.wait(timeout=10)


def _measure(count: int, seconds: float, server: RedisServer, board: subprocess.Popen,
             board_port: int) -> dict:  # fmt: skip
    client = server.client()
    workers = max(1, os.cpu_count() or 1)
    done: multiprocessing.Queue = multiprocessing.Queue()
    go = multiprocessing.Event()
    share = [count // workers + (1 if k < count % workers else 0) for k in range(workers)]
    firsts = [sum(share[:k]) for k in range(workers)]
    processes = [
        multiprocessing.Process(target=students, args=(server.port, first, n, seconds, done, go))
        for first, n in zip(firsts, share, strict=True) if n
    ]  # fmt: skip
    for process in processes:
        process.start()
    for _ in processes:
        done.get(timeout=120)  # every connection open: the window starts now
    before_stats, _ = get_json(board_port, "/board/stats.json")
    board_cpu, redis_cpu = cpu_seconds(board.pid), cpu_seconds(server.process.pid)  # type: ignore[union-attr]
    started = time.monotonic()
    go.set()
    json_times, sizes = [], []
    while any(p.is_alive() for p in processes) and time.monotonic() - started < seconds + 60:
        time.sleep(1.0)
        data, took = get_json(board_port, "/board.json")
        json_times.append(took)
        sizes.append(len(json.dumps(data)))
    finished = [done.get(timeout=60) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # the board takes the last messages
    after_stats, _ = get_json(board_port, "/board/stats.json")
    players = len(get_json(board_port, "/board.json")[0]["players"])
    sent = sum(int(published) for published, _ in finished)
    memory = client.info("memory")["used_memory"] / 1e6
    return {
        "students": count,
        "asked": count * HZ,
        "reached": sum(published / took for published, took in finished),
        "received": (after_stats["messages"] - before_stats["messages"]) / max(sent, 1),
        "p50": after_stats.get("p50", float("nan")),
        "p95": after_stats.get("p95", float("nan")),
        "board_cpu": (cpu_seconds(board.pid) - board_cpu) / elapsed,
        "board_mb": rss_mb(board.pid),
        "redis_cpu": (cpu_seconds(server.process.pid) - redis_cpu) / elapsed,  # type: ignore[union-attr]
        "redis_mb": memory,
        "json_ms": statistics.median(json_times) * 1000 if json_times else float("nan"),
        "json_kb": statistics.median(sizes) / 1000 if sizes else 0.0,
        "players": players,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--ramp", default="250,500,1000,2000,4000")
    parser.add_argument("--ramp-seconds", type=float, default=20.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        server = RedisServer(Path(scratch)).start()
        try:
            rows.append(("main", measure(args.students, args.seconds, server)))
            for count in [int(c) for c in args.ramp.split(",") if c.strip()]:
                rows.append(("ramp", measure(count, args.ramp_seconds, server)))
        finally:
            server.kill()
    print(f"{os.cpu_count()} cores; {HZ:g} messages a second per student; main run "
          f"{args.seconds:g} s, ramp steps {args.ramp_seconds:g} s each\n")  # fmt: skip
    print(
        "| run | students | on the board | msgs/s asked | reached | board took | lag p50 | "
        "lag p95 | board CPU | board RSS | Redis CPU | Redis memory | /board.json | its size |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, r in rows:
        print(f"| {kind} | {r['students']} | {r['players']} | {r['asked']:.0f} | "
              f"{r['reached']:.0f} | {r['received'] * 100:.1f} % | {r['p50'] * 1000:.1f} ms | "
              f"{r['p95'] * 1000:.1f} ms | "
              f"{r['board_cpu'] * 100:.0f} % | {r['board_mb']:.0f} MB | "
              f"{r['redis_cpu'] * 100:.0f} % | {r['redis_mb']:.1f} MB | {r['json_ms']:.0f} ms | "
              f"{r['json_kb']:.0f} kB |")  # fmt: skip


if __name__ == "__main__":
    main()
