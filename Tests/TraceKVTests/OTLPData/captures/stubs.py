"""In-process stubs on 127.0.0.1: an OpenAI-compatible model endpoint and an OTLP/HTTP collector."""

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scenario import CREATED, REPLIES, RESPONSE_MODEL, arguments_text


def _chat_usage(usage):
    return {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        "prompt_tokens_details": {"cached_tokens": usage["cached_tokens"], "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage["reasoning_tokens"],
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _responses_usage(usage):
    return {
        "input_tokens": usage["input_tokens"],
        "input_tokens_details": {"cached_tokens": usage["cached_tokens"]},
        "output_tokens": usage["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": usage["reasoning_tokens"]},
        "total_tokens": usage["input_tokens"] + usage["output_tokens"],
    }


def chat_completion(step):
    reply = REPLIES[step]
    call = reply.get("tool_call")
    message = {"role": "assistant", "content": reply.get("text"), "refusal": None}
    if call:
        message["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": arguments_text(call["arguments"])},
            }
        ]
    return {
        "id": f"chatcmpl-tracekv-{step + 1:03d}",
        "object": "chat.completion",
        "created": CREATED,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_tracekv",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if call else "stop",
            }
        ],
        "usage": _chat_usage(reply["usage"]),
    }


def chat_completion_chunks(step, include_usage):
    """The same reply as server-sent chunks: role, then content or tool-call pieces, finish, usage."""
    reply = REPLIES[step]
    call = reply.get("tool_call")
    base = {
        "id": f"chatcmpl-tracekv-{step + 1:03d}",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": RESPONSE_MODEL,
        "system_fingerprint": "fp_tracekv",
        "service_tier": "default",
    }

    def chunk(delta, finish_reason=None):
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": None if call else "", "refusal": None})]
    if call:
        arguments = arguments_text(call["arguments"])
        middle = len(arguments) // 2
        chunks.append(chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                             "function": {"name": call["name"], "arguments": ""}}]}))
        for piece in (arguments[:middle], arguments[middle:]):
            chunks.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    else:
        words = reply["text"].split(" ")
        for index, word in enumerate(words):
            chunks.append(chunk({"content": word if index == 0 else " " + word}))
    chunks.append(chunk({}, "tool_calls" if call else "stop"))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": _chat_usage(reply["usage"])})
    return chunks


def response_object(step, request):
    """A Responses API reply (what openai-agents calls by default)."""
    reply = REPLIES[step]
    call = reply.get("tool_call")
    if call:
        output = [
            {
                "type": "function_call",
                "id": f"fc_tracekv_{step + 1:03d}",
                "call_id": call["id"],
                "name": call["name"],
                "arguments": arguments_text(call["arguments"]),
                "status": "completed",
            }
        ]
    else:
        output = [
            {
                "type": "message",
                "id": f"msg_tracekv_{step + 1:03d}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply["text"], "annotations": [], "logprobs": []}],
            }
        ]
    return {
        "id": f"resp_tracekv_{step + 1:03d}",
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "model": RESPONSE_MODEL,
        "output": output,
        "instructions": request.get("instructions"),
        "tools": request.get("tools", []),
        "tool_choice": request.get("tool_choice", "auto"),
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "temperature": 1.0,
        "top_p": 1.0,
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "error": None,
        "incomplete_details": None,
        "metadata": {},
        "usage": _responses_usage(reply["usage"]),
    }


def _tool_result_ids(request):
    """Tool-call ids whose results the request carries, in order (Chat Completions or Responses)."""
    if "messages" in request:
        return [m.get("tool_call_id") for m in request["messages"] if m.get("role") == "tool"]
    items = request.get("input")
    if isinstance(items, list):
        return [i.get("call_id") for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]
    return []


class ModelStub:
    """Answers each request with REPLIES[n], n = the number of tool results it carries.

    Also checks that those results answer the scripted calls in order, so a library that
    reorders or renames tool calls fails the capture instead of recording a wrong conversation.
    """

    def __init__(self):
        self.requests = []  # (path, parsed body) of every call, in arrival order
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with stub.lock:
                    stub.requests.append((self.path, body))
                ids = _tool_result_ids(body)
                scripted = [r["tool_call"]["id"] for r in REPLIES if "tool_call" in r][: len(ids)]
                if ids != scripted or len(ids) >= len(REPLIES):
                    return self._send(400, {"error": {"message": f"unscripted tool results {ids}"}})
                step = len(ids)
                if self.path.endswith("/chat/completions"):
                    if body.get("stream"):
                        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                        return self._stream(chat_completion_chunks(step, include_usage))
                    return self._send(200, chat_completion(step))
                if self.path.endswith("/responses") and not body.get("stream"):
                    return self._send(200, response_object(step, body))
                self._send(404, {"error": {"message": f"no stub for {self.path}"}})

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, chunks):
                data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                data = data.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def reset(self):
        with self.lock:
            self.requests = []


class CollectorStub:
    """Records every OTLP/HTTP POST body to /v1/traces and /v1/logs, un-gzipped, in arrival order."""

    def __init__(self):
        self.bodies = []  # dicts: signal, content_type, content_encoding, body
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "deflate":
                    raw = zlib.decompress(raw)
                signal = {"/v1/traces": "traces", "/v1/logs": "logs", "/v1/metrics": "metrics"}.get(self.path)
                if signal is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                with stub.lock:
                    stub.bodies.append({
                        "signal": signal,
                        "content_type": self.headers.get("Content-Type", ""),
                        "content_encoding": encoding,
                        "body": raw,
                    })
                # An empty Export*ServiceResponse: full success.
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def reset(self):
        with self.lock:
            self.bodies = []
