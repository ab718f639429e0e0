"""Load client for bench/serve.sh: N viewers with a study page open, each polling
its JSON as the page does after its first read (incremental reads with after= and
ids=), plus the overview, every PERIOD seconds, for SECONDS seconds (or until
SIGTERM). Prints p50/p95/max latency. The viewers start from one full read made
before the clock starts (pages opened earlier); bench/serve.sh times a full read
on its own.

usage: serve_load.py BASE_URL STUDY VIEWERS SECONDS [PERIOD]
Threads in one Python process: the client's own overhead (the GIL) is inside the
figures, so they are an upper bound on the server's latency.
"""
import json
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request

base, study, viewers, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
period = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
lat, errors, lock = [], [], threading.Lock()
stop_at = time.time() + seconds


def get(path):
    t0 = time.perf_counter()
    with urllib.request.urlopen(base + path, timeout=30) as r:
        body = r.read()
    dt = time.perf_counter() - t0
    with lock:
        lat.append(dt)
    return json.loads(body)


q = "api/study?name=" + urllib.parse.quote(study, safe="")
first = get(q)
lat.clear()
first_max = max((t["id"] for t in first["trials"]), default=-1)
first_open = [t["id"] for t in first["trials"] if t["state"] in ("RUNNING", "WAITING")]
stop_at = time.time() + seconds


def viewer(k):
    time.sleep(period * k / viewers)  # spread the viewers over the period, as real ones are
    max_id, open_ids, full = first_max, list(first_open), False
    while time.time() < stop_at:
        t0 = time.time()
        try:
            path = q if full else q + f"&after={max_id}" + ("&ids=" + ",".join(map(str, open_ids)) if open_ids else "")
            d = get(path)
            held = {}
            for t in d["trials"]:
                max_id = max(max_id, t["id"])
                held[t["id"]] = t["state"]
            open_ids = [i for i, s in held.items() if s in ("RUNNING", "WAITING")]
            full = False
            get("api/studies")
        except Exception as e:
            with lock:
                errors.append(repr(e))
        time.sleep(max(0.0, period - (time.time() - t0)))


def stop(signum, frame):  # SIGTERM: finish the polls in flight, then print
    global stop_at
    stop_at = 0


signal.signal(signal.SIGTERM, stop)
threads = [threading.Thread(target=viewer, args=(k,)) for k in range(viewers)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    time.sleep(0.1)
lat.sort()
if not lat:
    sys.exit("serve_load: no request succeeded: " + "; ".join(errors[:3]))
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(f"{viewers} viewers: {len(lat)} requests, p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, "
      f"max {lat[-1] * 1000:.1f} ms, errors {len(errors)}")
