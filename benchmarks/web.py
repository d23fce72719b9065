"""How fast the explorer's pages render on the demonstration ledger.

Builds `profitpool demo` (3,000 members over 6 months by default; --smoke: a
small one), serves it in this process on a loopback port, and times GET of
the explorer's home, an entry page and the console's health panel. Prints
median, p99 and max of the wall time seen by the client (server time plus
loopback; the client is httpx, on the same machine).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from common import cpu_model
from profitpool.demo import build_demo
from profitpool.log.setup import initialise
from profitpool.service import Settings
from profitpool.store.apikeys import KeyStore
from profitpool.store.database import connect
from profitpool.web import create_app


def timed(client: httpx.Client, path: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        assert 'id="sign-in"' not in response.text, path  # a signed-in page, not the form
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small demo, few rounds (CI)")
    args = parser.parse_args()
    members, months, rounds = (200, 2, 5) if args.smoke else (3000, 6, 50)
    print(f"{cpu_model()}; demo of {members:,} members over {months} months; {rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="profitpool-bench-web-") as folder:
        db, key = f"sqlite:///{folder}/demo.db", Path(folder) / "demo.key"
        initialise(db, key, "profitpool.demo/log")
        start = time.perf_counter()
        accepted, _ = build_demo(db, key, end=time.time_ns() // 1000, months=months,
                                 members=members, seed=1)
        print(f"demo built: {accepted:,} entries in {time.perf_counter() - start:.1f} s")
        engine = connect(db)
        admin, _ = KeyStore(engine).create("admin", label="bench")
        engine.dispose()
        app = create_app(Settings(db=db, key=key, rate=0, auto_burn=False))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                size = client.get("/v1/pool").json()["tree_size"]
                # as the console's own form: the pages refuse a form without this Origin
                signed_in = client.post("/console/login", data={"key": admin},
                                        headers={"Origin": base})
                assert signed_in.headers.get("location") == "/console", signed_in.text
                for label, path in (("explorer home /", "/"),
                                    ("entry page (proof)", f"/entry/{size // 2}"),
                                    ("console health", "/console")):
                    timed(client, path, 2)  # warm
                    times = sorted(timed(client, path, rounds))
                    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                    target = ("   [target < 300 ms: " + ("met" if p99 < 300 else "NOT met") + "]"
                              if path == "/" else "")
                    print(f"  {label:<22} median {statistics.median(times):7.1f} ms, "
                          f"p99 {p99:7.1f} ms, max {times[-1]:7.1f} ms{target}")
        finally:
            server.should_exit = True
            thread.join(30)


if __name__ == "__main__":
    main()
