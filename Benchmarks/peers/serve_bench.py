"""The client of `tracekv-bench serve`: one load client driving `tracekv serve` and TraceBrain's own
server (its `tracebrain init-db` and `tracebrain start`, SQLite, EMBEDDING_PROVIDER=none, no LLM keys)
with the same requests. Prints one JSON object.

  write load (TraceKV): K processes post OTLP/HTTP protobuf batches (whole traces of 3 spans) for a
    fixed count of requests while M processes run hybrid searches and one prober posts a uniquely
    worded trace, then polls each index alone (`mode=lexical`, `mode=vector`) until it finds it.
  rest (both servers, the same client): W processes post TraceBrain traces to POST /api/v1/traces,
    then one client times get, list of 20, feedback and export with min_rating.

The client is one persistent HTTP/1.1 connection per process over a plain socket (`Client`, below), for
both servers: a request costs it less than `http.client` (which costs a tenth of `requests`), so on a
2-core machine the client takes less of the processor the servers share and adds less to each round trip.

Install: python3 -m venv VENV && VENV/bin/pip install -r Benchmarks/peers/requirements-serve.txt
Run it through `tracekv-bench serve` (which passes --tracekv and --python), or by hand:
  VENV/bin/python Benchmarks/peers/serve_bench.py --tracekv .build/release/tracekv --tracebrain VENV/bin/tracebrain
"""

import argparse
import json
import multiprocessing
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "Examples" / "tracebrain").glob("sample_*.json"))
WORDS = """ability account action address agent answer approach area argument article balance bank basis budget
building business calendar campaign capital carbon career cargo catalog channel chapter chart citizen climate
cluster coffee column comment company compiler concert contract council country coupon course credit customer
dataset deadline debate decade default delivery deposit design device diagram dinner discount disease distance
doctor domain driver editor economy election energy engine episode estate evening event evidence exchange factory
feature festival finance flight forecast format fortune freight friend garden gateway grammar harbor harvest
hazard heating holiday hospital hotel housing invoice island journal journey kernel kitchen ladder language
lawyer lecture ledger library license lottery machine manager market meadow medicine meeting memory mineral
mission monitor mortgage museum network notebook office opinion orchard package painting parcel passport
patient payment pension pharmacy pilot planet player pocket policy portal poster premium printer profile
project protein publisher quarter railway receipt recipe refund region rental report request reservoir resort
revenue reward river router salary satellite schedule scholar season sector seminar server shipment signal
skyline soldier speaker sponsor stadium station storage student studio subway summit supplier surgeon survey
tablet teacher telescope tenant terminal theater ticket tourism tractor traffic trainer transit treasury tunnel
umbrella uniform vaccine valley vendor venue version village volcano voucher warranty weather website wedding
window winter workshop""".split()


def sentence(rng, n=12):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def percentile(values, p):
    """Nearest rank, as the Swift harness's `percentile`."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-p / 100 * len(ordered) // 1)) - 1))]


def ms(value):
    return None if value is None else round(value * 1000, 2)


def summary(latencies):
    return {"count": len(latencies), "p50_ms": ms(percentile(latencies, 50)), "p99_ms": ms(percentile(latencies, 99))}


# --- the client -----------------------------------------------------------------------------------


class Reply:
    def __init__(self, status, headers, content):
        self.status_code, self.headers, self.content = status, headers, content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class Client:
    """One persistent HTTP/1.1 connection (keep-alive, TCP_NODELAY) over a plain socket. A request goes out
    in one write; the answer is read whole (Content-Length, chunked, or to the close) before the next. A kept
    connection the server closed while idle is opened again once, before anything of the request was
    answered. Header names are kept lower-cased. No more HTTP than the two servers speak. Against a trivial
    server it spends less than half the CPU `http.client` spends a request (`client_floor.py` measures both),
    so less of the floor under every timed request is the client's."""

    def __init__(self, url, timeout=600):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.timeout, self.sock = parts.hostname, parts.port, timeout, None
        self.buffer = b""

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock, self.buffer = None, b""

    def get(self, path, params=None):
        return self.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""))

    def post(self, path, body, content_type="application/json"):
        if not isinstance(body, (bytes, bytearray)):
            body = (body if isinstance(body, str) else json.dumps(body)).encode()
        return self.request("POST", path, body, content_type)

    def request(self, method, path, body=None, content_type=None):
        reused = self.sock is not None
        if not reused:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if body is not None:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        message = (head + "\r\n").encode() + (body or b"")
        try:
            self.sock.sendall(message)
            status, headers = self._head()
        except (ConnectionError, EOFError):
            self.close()
            if not reused:
                raise
            return self.request(method, path, body, content_type)
        content = self._body(headers)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Reply(status, headers, content)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the server closed the connection")
        self.buffer += data

    def _line_end(self, start=0):
        while (end := self.buffer.find(b"\r\n", start)) < 0:
            self._fill()
        return end

    def _take(self, count):
        while len(self.buffer) < count:
            self._fill()
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def _head(self):
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        lines = self._take(end + 4).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        return status, headers

    def _body(self, headers):
        if "content-length" in headers:
            return self._take(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._take(self._line_end() + 2).split(b";")[0], 16)
                if size == 0:
                    while self._take(self._line_end() + 2) != b"\r\n":  # trailers, then the blank line
                        pass
                    return b"".join(parts)
                parts.append(self._take(size + 2)[:-2])
        try:  # neither: the body runs to the close
            while True:
                self._fill()
        except EOFError:
            content, self.buffer = self.buffer, b""
            self.close()
            return content


# --- bodies ---------------------------------------------------------------------------------------


def attribute(key, value):
    return KeyValue(key=key, value=AnyValue(string_value=value))


def otlp_batch(rng, traces):
    """One ExportTraceServiceRequest holding `traces` whole traces: an agent root and two chat calls."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    resource.resource.attributes.append(attribute("service.name", "bench-agent"))
    scope = resource.scope_spans.add()
    scope.scope.name = "bench"
    start = 1_763_800_000_000_000_000
    for _ in range(traces):
        trace_id = rng.randbytes(16)
        root_id = rng.randbytes(8)
        root = scope.spans.add(trace_id=trace_id, span_id=root_id, name="invoke_agent", kind=1,
                               start_time_unix_nano=start, end_time_unix_nano=start + 3_000_000_000)
        root.attributes.append(attribute("gen_ai.operation.name", "invoke_agent"))
        question, history = sentence(rng), []
        for step in range(2):
            reply = sentence(rng, 20)
            messages = [{"role": "user", "parts": [{"type": "text", "content": question}]}] + history
            span = scope.spans.add(trace_id=trace_id, span_id=rng.randbytes(8), parent_span_id=root_id,
                                   name="chat gpt-4o", kind=3, start_time_unix_nano=start + step * 1_000_000_000,
                                   end_time_unix_nano=start + (step + 1) * 1_000_000_000)
            span.attributes.extend([
                attribute("gen_ai.operation.name", "chat"),
                attribute("gen_ai.input.messages", json.dumps(messages)),
                attribute("gen_ai.output.messages", json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": reply}]}])),
            ])
            history.append({"role": "assistant", "parts": [{"type": "text", "content": reply}]})
    return request.SerializeToString()


def tracebrain_trace(rng, template):
    """A copy of a TraceBrain sample with fresh trace and span ids (TraceBrain keys spans by id)."""
    trace = json.loads(json.dumps(template))
    trace["trace_id"] = rng.randbytes(16).hex()
    ids = {span["span_id"]: rng.randbytes(8).hex() for span in trace["spans"]}
    for span in trace["spans"]:
        span["span_id"] = ids[span["span_id"]]
        if span.get("parent_id"):
            span["parent_id"] = ids.get(span["parent_id"], span["parent_id"])
    return trace


def probe_trace(rng, text):
    """A rated trace whose whole search text is `text` twice (system prompt and final answer), so that the
    vector search for `text` passes the store's similarity floor: a probe of the index, not of ranking."""
    return {
        "trace_id": rng.randbytes(16).hex(),
        "attributes": {"system_prompt": text,
                       "tracebrain.ai_evaluation": {"rating": 5, "confidence": 0.9, "status": "completed"}},
        "spans": [{"span_id": rng.randbytes(8).hex(), "parent_id": None, "name": "probe",
                   "start_time": "2025-11-25T15:00:01.000Z", "end_time": "2025-11-25T15:00:02.000Z",
                   "attributes": {"tracebrain.span.type": "llm_inference", "tracebrain.llm.final_answer": text}}],
    }


# --- servers --------------------------------------------------------------------------------------


class TraceKVServer:
    def __init__(self, binary, store, *extra):
        self.binary, self.store = binary, store
        self.process = subprocess.Popen([binary, "--store", str(store), "serve", "--port", "0", *extra],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"tracekv serve did not start: {line!r}")
        self.url = line.removeprefix("listening on ").strip()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=600)

    def cpu_seconds(self):
        """User + system CPU the server has used: on a shared machine, steadier than wall time."""
        fields = pathlib.Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TraceBrainServer:
    """`tracebrain init-db` then `tracebrain start` in `folder`, SQLite, no embedder, no LLM."""

    def __init__(self, tracebrain, folder):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(DATABASE_URL=f"sqlite:///{folder}/tracebrain.db", EMBEDDING_PROVIDER="none",
                   AUTO_EVALUATE_TRACES="false", LOG_LEVEL="warning", LLM_PROVIDER="none")
        # init-db asks whether to seed 20 samples: no (the bench posts its own traces).
        subprocess.run([tracebrain, "init-db"], cwd=folder, env=env, check=True, capture_output=True, input="n\n",
                       text=True)
        self.process = subprocess.Popen([tracebrain, "start", "--port", str(port), "--log-level", "warning"],
                                        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                with Client(self.url, timeout=5) as client:
                    if client.get("/api/v1/health").status_code == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("tracebrain start did not answer /api/v1/health")

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=120)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- clients (processes, so that no client waits for another's interpreter lock) ------------------


def poster(url, path, content_type, bodies, go, results):
    """Posts each body to `path`, or each (path, body) pair when `path` is None."""
    latencies, errors = [], []
    with Client(url) as session:
        go.wait()
        for body in bodies:
            target, body = (path, body) if path is not None else body
            began = time.perf_counter()
            response = session.post(target, body, content_type)
            elapsed = time.perf_counter() - began
            if response.status_code in (200, 201):
                latencies.append(elapsed)
            else:
                errors.append(f"{response.status_code} {response.text[:200]}")
    results.put({"role": "writer", "latencies": latencies, "errors": errors})


def server_timing(response):
    """The `Server-Timing` header's metrics in seconds ({} when the server sends none)."""
    metrics = {}
    for part in response.headers.get("server-timing", "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if duration:
            metrics[name] = float(duration) / 1000
    return metrics


def searcher(url, seed, go, stop, results):
    rng, latencies, errors, timings = random.Random(seed), [], [], []
    with Client(url) as session:
        go.wait()
        while not stop.is_set():
            began = time.perf_counter()
            response = session.get("/api/v1/traces/search", {"text": sentence(rng, 6), "min_rating": 1, "limit": 10})
            elapsed = time.perf_counter() - began
            (latencies if response.status_code == 200 else errors).append(
                elapsed if response.status_code == 200 else f"{response.status_code} {response.text[:200]}")
            if response.status_code == 200:
                timings.append(server_timing(response))
    results.put({"role": "searcher", "latencies": latencies, "errors": errors, "timings": timings})


def server_side(results):
    """What the server says of the searches (`Server-Timing`): waiting for a thread, the search's wall time,
    and its thread's CPU time (wall well above CPU: the thread was preempted)."""
    timings = [t for r in results if r["role"] == "searcher" for t in r.get("timings", [])]
    return {name: summary([t[name] for t in timings if name in t]) for name in ("queue", "search", "cpu")}


def prober(url, seed, limit_seconds, go, stop, results):
    """Posts a uniquely worded trace, then polls each index alone until it returns it; again until stopped."""
    rng, probes = random.Random(seed), []
    with Client(url) as session:
        go.wait()
        while not stop.is_set():
            token = "probe" + uuid.uuid4().hex[:12]
            text = f"{token} {sentence(rng, 16)}"
            trace = probe_trace(rng, text)
            began = time.perf_counter()
            response = session.post("/api/v1/traces", trace)
            acknowledged = time.perf_counter() - began
            if response.status_code not in (200, 201):
                probes.append({"error": f"{response.status_code} {response.text[:200]}"})
                continue
            probe = {"ack": acknowledged}
            for mode, query in (("lexical", token), ("vector", text)):
                while time.perf_counter() - began < limit_seconds:
                    found = session.get("/api/v1/traces/search", {
                        "text": query, "min_rating": 5, "limit": 50, "mode": mode}).json()
                    if trace["trace_id"] in [hit["trace_id"] for hit in found.get("results", [])]:
                        probe[mode] = time.perf_counter() - began
                        break
                    time.sleep(0.005)
            probes.append(probe)
            time.sleep(0.2)
    results.put({"role": "prober", "probes": probes})


def idle(seconds, go, results):
    """A writer that writes nothing: the readers run alone for `seconds`."""
    go.wait()
    time.sleep(seconds)
    results.put({"role": "idle", "latencies": [], "errors": []})


def run_processes(writers, readers=()):
    """Starts every (function, args) at once; stops the readers when the writers are done. Returns the
    writers' wall time and every process's result."""
    context = multiprocessing.get_context("fork")
    go, stop, results = context.Event(), context.Event(), context.Queue()
    processes = [context.Process(target=f, args=(*a, go, results)) for f, a in writers]
    processes += [context.Process(target=f, args=(*a, go, stop, results)) for f, a in readers]
    for process in processes:
        process.start()
    began = time.perf_counter()
    go.set()
    collected = [results.get() for _ in writers]
    elapsed = time.perf_counter() - began
    stop.set()
    collected += [results.get() for _ in readers]
    for process in processes:
        process.join()
    return elapsed, collected


# --- phases ---------------------------------------------------------------------------------------


def search_alone(url, args, seed):
    """The searchers with no writer, for comparison with the same searches under the write load. One
    search first loads the store's search state (a cold start is not what this measures)."""
    with Client(url) as client:
        client.get("/api/v1/traces/search", {"text": "warm up", "min_rating": 1})
    _, results = run_processes([(idle, (args.idle_seconds,))], [(searcher, (url, seed + n)) for n in range(args.searchers)])
    return {**summary([x for r in results if r["role"] == "searcher" for x in r["latencies"]]),
            "server": server_side(results)}


def write_load(url, args, seed):
    rng = random.Random(seed)
    bodies = [[otlp_batch(rng, args.traces_per_request) for _ in range(args.requests)] for _ in range(args.writers)]
    writers = [(poster, (url, "/v1/traces", "application/x-protobuf", bodies[n])) for n in range(args.writers)]
    readers = [(searcher, (url, seed + 1 + n)) for n in range(args.searchers)]
    readers.append((prober, (url, seed + 100, args.probe_limit)))
    before = os.times()
    elapsed, results = run_processes(writers, readers)
    after = os.times()
    # The load generator shares the machine with the server: its own CPU, all its processes together.
    client_cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    acks = [x for r in results if r["role"] == "writer" for x in r["latencies"]]
    searches = [x for r in results if r["role"] == "searcher" for x in r["latencies"]]
    errors = [e for r in results for e in r.get("errors", [])]
    probes = [p for r in results if r["role"] == "prober" for p in r["probes"]]
    spans = len(acks) * args.traces_per_request * 3
    def lag(mode):
        found = [p[mode] for p in probes if mode in p]
        return {"found": len(found), "of": len(probes), "p50_ms": ms(percentile(found, 50)),
                "max_ms": ms(max(found) if found else None)}
    return {
        "writers": args.writers, "searchers": args.searchers, "requests": args.writers * args.requests,
        "traces_per_request": args.traces_per_request, "spans_per_trace": 3, "seconds": round(elapsed, 2),
        "spans_acknowledged": spans, "spans_per_second": round(spans / elapsed),
        "traces_per_second": round(len(acks) * args.traces_per_request / elapsed),
        "ack": summary(acks), "search": {**summary(searches), "server": server_side(results)},
        "errors": len(errors), "first_errors": errors[:3],
        "findable_bm25": lag("lexical"), "findable_vector": lag("vector"),
        "client_processes": len(writers) + len(readers), "client_cpu_seconds": round(client_cpu, 1),
    }


def process_cpu(pid):
    """User + system CPU seconds process `pid` has used."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid, limit=300):
    """Waits until the server is idle (under 5 % of a core over half a second: TraceKV's background embedder
    has caught up), so the timed reads do not share the processor with work left from the posts. Seconds waited."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        before = process_cpu(pid)
        time.sleep(0.5)
        if process_cpu(pid) - before < 0.025:
            break
    return round(time.perf_counter() - began, 1)


def rest(url, args, seed, pid):
    """The same TraceBrain traces and reads against one server (process `pid`)."""
    rng = random.Random(seed)
    templates = [json.loads(path.read_text()) for path in SAMPLES]
    traces = [tracebrain_trace(rng, templates[n % len(templates)]) for n in range(args.rest_traces)]
    per = [traces[n::args.rest_writers] for n in range(args.rest_writers)]
    writers = [(poster, (url, "/api/v1/traces", "application/json", [json.dumps(t) for t in chunk])) for chunk in per]
    cpu_before = process_cpu(pid)
    elapsed, results = run_processes(writers)
    # The server's CPU per trace posted: on a shared machine, steadier than its throughput.
    cpu_posts = process_cpu(pid) - cpu_before
    acks = [x for r in results for x in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    ids = [t["trace_id"] for t in traces]
    settled_after_posts = settle(pid)
    # Feedback at the posting concurrency: W processes, each rating its own share of the traces.
    rated = random.Random(seed + 2).sample(ids, args.concurrent_feedback)
    feedbacks = [[(f"/api/v1/traces/{t}/feedback", json.dumps({"rating": 3 + n % 3, "comment": "bench"}))
                  for n, t in enumerate(rated[w::args.rest_writers])] for w in range(args.rest_writers)]
    feedback_elapsed, feedback_results = run_processes(
        [(poster, (url, None, "application/json", chunk)) for chunk in feedbacks])
    feedback_acks = [x for r in feedback_results for x in r["latencies"]]
    errors += [e for r in feedback_results for e in r["errors"]]
    concurrent_feedback = {"requests": len(rated), "writers": args.rest_writers,
                           "per_second": round(len(feedback_acks) / feedback_elapsed, 1), **summary(feedback_acks)}
    settled_after_feedback = settle(pid)
    reads = {}
    with Client(url) as session:
        def timed(name, count, call):
            latencies = []
            for n in range(count):
                began = time.perf_counter()
                response = call(n)  # the whole body read, streamed or not
                latencies.append(time.perf_counter() - began)
                if response.status_code not in (200, 201):
                    errors.append(f"{name}: {response.status_code} {response.text[:200]}")
            reads[name] = summary(latencies)
        picks = random.Random(seed + 1).sample(ids, args.reads)
        # The client's own floor: the same session's round trip to the cheapest route.
        timed("health", args.list_reads, lambda n: session.get("/api/v1/health"))
        timed("get", args.reads, lambda n: session.get(f"/api/v1/traces/{picks[n]}"))
        timed("list_20", args.list_reads, lambda n: session.get("/api/v1/traces", {"limit": 20}))
        timed("feedback", args.reads, lambda n: session.post(
            f"/api/v1/traces/{picks[n]}/feedback", {"rating": 4 + n % 2, "comment": "bench"}))
        export = {"min_rating": 4, "limit": 100, "format": "jsonl"}
        timed("export_min_rating_4", args.list_reads, lambda n: session.get("/api/v1/export/traces", export))
        exported = session.get("/api/v1/export/traces", export)
        reads["export_min_rating_4"]["traces"] = len([l for l in exported.text.splitlines() if l.strip()])
    return {"traces": len(traces), "writers": args.rest_writers, "seconds": round(elapsed, 2),
            "traces_per_second": round(len(acks) / elapsed, 1), "ack": summary(acks),
            "server_cpu_ms_per_trace_posted": round(cpu_posts * 1000 / max(1, len(acks)), 2), "reads": reads,
            "concurrent_feedback": concurrent_feedback,
            "idle_wait_seconds": {"after_posts": settled_after_posts, "after_feedback": settled_after_feedback},
            "errors": len(errors), "first_errors": errors[:3]}


def fresh_store_at(binary, work, name, embedder="hashing"):
    """An empty store `work/name` with `embedder` (whatever was there removed)."""
    store = work / name
    for leftover in (store, pathlib.Path(f"{store}-lock")):
        leftover.unlink(missing_ok=True)
    (work / "empty.json").write_text("[]")
    subprocess.run([binary, "--store", str(store), "ingest", "--embedder", embedder, str(work / "empty.json")],
                   check=True, capture_output=True)
    return store


def stats(binary, store):
    out = subprocess.run([binary, "--store", str(store), "stats", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracekv", required=True, help="the tracekv executable (a release build)")
    parser.add_argument("--tracebrain", help="the tracebrain executable of a venv (omit: no peer)")
    parser.add_argument("--base-store", help="a store to copy and serve under the write load (e.g. 100k traces)")
    parser.add_argument("--embedder", default="hashing", help="a fresh store's embedder: hashing or minilm")
    parser.add_argument("--work", help="a folder for the stores (default: a temporary one)")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--searchers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200, help="per writer")
    parser.add_argument("--traces-per-request", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=20, help="searchers alone before the write load")
    parser.add_argument("--probe-limit", type=float, default=120, help="seconds a probe waits for an index")
    parser.add_argument("--rest-traces", type=int, default=4000)
    parser.add_argument("--rest-writers", type=int, default=4)
    parser.add_argument("--reads", type=int, default=200, help="gets and feedbacks")
    parser.add_argument("--list-reads", type=int, default=20, help="lists of 20 and exports")
    parser.add_argument("--concurrent-feedback", type=int, default=1000,
                        help="feedbacks posted by --rest-writers processes at once")
    parser.add_argument("--embed-in-write", action="store_true", help="serve with --embed-in-write (no deferral)")
    parser.add_argument("--skip", choices=["write-load", "rest"], action="append", default=[])
    args = parser.parse_args()
    # The servers start in their own folders: executables by absolute path.
    args.tracekv = os.path.abspath(args.tracekv)
    args.tracebrain = args.tracebrain and os.path.abspath(args.tracebrain)
    # Absolute: TraceBrain starts in a folder of its own and reads its database path from there.
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix="serve-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    report = {"embedder": args.embedder, "embed_in_write": args.embed_in_write}

    def fresh_store(name):
        return fresh_store_at(args.tracekv, work, name, args.embedder)

    if "write-load" not in args.skip:
        if args.base_store:
            store = work / "load.tkv"
            shutil.copyfile(args.base_store, store)
            pathlib.Path(f"{store}-lock").unlink(missing_ok=True)
        else:
            store = fresh_store("load.tkv")
        before = stats(args.tracekv, store)["total_spans"]
        server = TraceKVServer(args.tracekv, store, *(["--embed-in-write"] if args.embed_in_write else []))
        alone = search_alone(server.url, args, 1000)
        cpu = server.cpu_seconds()
        load = write_load(server.url, args, 1)
        load["server_cpu_seconds"] = round(server.cpu_seconds() - cpu, 1)
        load["search_without_writers"] = alone
        load["load_average_1min_after"] = os.getloadavg()[0]
        load["exit_code"] = server.stop()
        after = stats(args.tracekv, store)
        load["spans_stored"] = after["total_spans"] - before
        load["traces_in_store_after"] = after["total_traces"]
        report["write_load"] = load
        print(json.dumps({"write_load": load}), file=sys.stderr)

    if "rest" not in args.skip:
        report["rest"] = {}
        server = TraceKVServer(args.tracekv, fresh_store("rest.tkv"))
        report["rest"]["tracekv"] = rest(server.url, args, 2, server.process.pid)
        report["rest"]["tracekv"]["exit_code"] = server.stop()
        print(json.dumps({"rest.tracekv": report["rest"]["tracekv"]}), file=sys.stderr)
        if args.tracebrain:
            folder = work / "tracebrain"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            peer = TraceBrainServer(args.tracebrain, folder)
            try:
                report["rest"]["tracebrain"] = rest(peer.url, args, 2, peer.process.pid)
            finally:
                peer.stop()
            ours, theirs = report["rest"]["tracekv"], report["rest"]["tracebrain"]
            ratios = {"traces_per_second": round(ours["traces_per_second"] / theirs["traces_per_second"], 1),
                      "concurrent_feedback_per_second": round(ours["concurrent_feedback"]["per_second"]
                                                              / theirs["concurrent_feedback"]["per_second"], 1)}
            for name, read in ours["reads"].items():
                ratios[name + "_p50"] = round(theirs["reads"][name]["p50_ms"] / read["p50_ms"], 1)
            cpu = "server_cpu_ms_per_trace_posted"
            if ours.get(cpu) and theirs.get(cpu):
                ratios[cpu] = round(theirs[cpu] / ours[cpu], 2)
            report["rest"]["ratios"] = ratios
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
