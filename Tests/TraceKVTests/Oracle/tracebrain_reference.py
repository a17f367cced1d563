"""Independent test oracle for TraceKV's TraceBrain compatibility rules.

A small, readable implementation of docs/trace-format.md section 2 (reconstruction:
target span, parent walk, messages, turns) and section 3 (status and priority
at ingest of a single trace). Python 3 standard library only. It is written
from the specification, not from TraceKV's Swift code, so that the two can be
checked against each other.

Decisions where the specification is silent are marked "DECISION" below.

Usage as a library:
    from tracebrain_reference import expected_for
    expected_for(trace_dict) -> {"trace_id", "status", "priority",
                                 "messages", "turns", "target_span_id"}
"""

import json
import re
from datetime import date

LLM = "llm_inference"
TOOL = "tool_execution"
HUMAN_HELP_TOOL = "request_human_intervention"
CRITICAL_ERROR_TYPES = {
    "logic_loop",
    "hallucination",
    "invalid_tool_usage",
    "tool_execution_error",
    "format_error",
    "misinterpretation",
    "context_overflow",
}
CONFIDENCE_THRESHOLD = 0.75
STATUSES = {"running", "completed", "needs_review", "failed"}
DEFAULT_PRIORITY = 3


# ---------------------------------------------------------------- helpers

def attrs_of(obj):
    """The attributes object of a trace or span; anything else counts as {}."""
    a = obj.get("attributes") if isinstance(obj, dict) else None
    return a if isinstance(a, dict) else {}


def span_type(span):
    return attrs_of(span).get("tracebrain.span.type")


def is_number(v):
    """A JSON number (bools are not numbers)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_text(value):
    """Render an attribute value as text.

    Strings are returned as-is; None stays None. Objects and arrays become
    compact JSON (separators (',', ':'), non-ASCII kept as is); numbers and
    booleans become their JSON text (true, false, 42, 1.5).
    """
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_empty(value):
    """DECISION: 'empty' means null, "", [] or {}. Numbers and booleans
    (including 0 and false) are never empty; they are rendered as text."""
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


# ------------------------------------------------------------- timestamps

# YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|+HH:MM|-HH:MM|+HHMM|-HHMM)?  ASCII digits only.
TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?"
)


def parse_time(value):
    """Microseconds since 0001-01-01T00:00:00Z, or None for "no time".

    No offset means UTC. Out-of-range fields (month 13, day 31 in a 30-day
    month, hour 24, second 60, offset hour >= 24 or minute >= 60) give None.
    DECISION: the fraction is truncated to microseconds (as the reference's
    parser does), so times that differ only beyond the 6th digit tie.
    """
    if not isinstance(value, str):
        return None
    m = TIMESTAMP_RE.fullmatch(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, offset = m.group(7), m.group(8)
    try:
        days = date(year, month, day).toordinal()
    except ValueError:
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    micros = int((fraction or "")[:6].ljust(6, "0"))
    offset_seconds = 0
    if offset and offset != "Z":
        digits = offset[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:])
        if oh > 23 or om > 59:
            return None
        offset_seconds = (oh * 3600 + om * 60) * (1 if offset[0] == "+" else -1)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds
    return seconds * 1_000_000 + micros


# ---------------------------------------------------------- section 2

def select_target(spans):
    """The llm_inference span with the latest start_time.

    Unparseable or missing times sort before every real time; on a tie the
    span that comes first in list order wins. None if there is no LLM span.
    """
    best, best_key = None, None
    for span in spans:
        if span_type(span) != LLM:
            continue
        t = parse_time(span.get("start_time"))
        key = (0, 0) if t is None else (1, t)
        if best is None or key > best_key:  # strictly later: first wins ties
            best, best_key = span, key
    return best


def index_spans(spans):
    """span_id -> span. DECISION: with duplicate span_ids the first one in
    list order is the span (ingest keeps existing spans on a merge)."""
    index = {}
    for span in spans:
        sid = span.get("span_id")
        if isinstance(sid, str) and sid not in index:
            index[sid] = span
    return index


def llm_path(spans, target):
    """LLM spans from the root to the target, walking parent_id across spans
    of any type. Stops at a null, missing or unknown parent, and on a cycle
    (a span already visited is not visited again)."""
    if target is None:
        return []
    index = index_spans(spans)
    path, visited = [], set()
    span = target
    while span is not None:
        sid = span.get("span_id")
        if sid in visited:
            break
        visited.add(sid)
        if span_type(span) == LLM:
            path.append(span)
        parent = span.get("parent_id")
        span = index.get(parent) if isinstance(parent, str) else None
    path.reverse()
    return path


def _reject_constant(name):
    """NaN and Infinity are not JSON; a string holding them is non-JSON."""
    raise ValueError(name)


def normalize_new_content(raw):
    """Section 2 item 4: the {role, content} messages new at this step.

    A JSON string is parsed; a non-JSON string gives nothing. DECISION: an
    attribute that is already a JSON object or array (not a string) is taken
    as the parsed value. An object becomes a one-element list. Items are kept
    only when role is a non-empty string and content is not empty (see
    is_empty); content that is not a string is rendered with as_text.
    tool_calls and every other key are dropped.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw, parse_constant=_reject_constant)
        except ValueError:
            return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        role, content = item.get("role"), item.get("content")
        if not isinstance(role, str) or role == "" or is_empty(content):
            continue
        out.append({"role": role, "content": as_text(content)})
    return out


def first_tool_output(spans, llm_span):
    """tracebrain.tool.output of the first tool_execution span (list order)
    whose parent is this LLM span, as text; None if there is none."""
    sid = llm_span.get("span_id")
    for span in spans:
        if span_type(span) == TOOL and span.get("parent_id") == sid:
            return as_text(attrs_of(span).get("tracebrain.tool.output"))
    return None


def reconstruct(trace):
    """(target_span_id, messages, turns) for one trace."""
    spans = [s for s in (trace.get("spans") or []) if isinstance(s, dict)]
    target = select_target(spans)
    path = llm_path(spans, target)

    messages = []
    # DECISION: only a string system prompt counts; it must be non-empty.
    system_prompt = attrs_of(trace).get("system_prompt")
    if isinstance(system_prompt, str) and system_prompt != "":
        messages.append({"role": "system", "content": system_prompt})

    turns = []
    for span in path:
        a = attrs_of(span)
        messages.extend(normalize_new_content(a.get("tracebrain.llm.new_content")))
        completion = a.get("tracebrain.llm.completion")
        turns.append({
            "prompt_for_model": [dict(m) for m in messages],
            "model_completion": as_text(completion),
            "thought": as_text(a.get("tracebrain.llm.thought")),
            "tool_code": as_text(a.get("tracebrain.llm.tool_code")),
            "tool_output": first_tool_output(spans, span),
        })
        if span is not target and not is_empty(completion):
            messages.append({"role": "assistant", "content": as_text(completion)})

    target_id = target.get("span_id") if target is not None else None
    return target_id, messages, turns


# ---------------------------------------------------------- section 3

def has_help_request(spans):
    """Rule 1: a tool span named request_human_intervention, or an LLM span
    whose tool_code (a string) contains that name."""
    for span in spans:
        a = attrs_of(span)
        if span_type(span) == TOOL and a.get("tracebrain.tool.name") == HUMAN_HELP_TOOL:
            return True
        code = a.get("tracebrain.llm.tool_code")
        if span_type(span) == LLM and isinstance(code, str) and HUMAN_HELP_TOOL in code:
            return True
    return False


def evaluation_requires_review(evaluation):
    """Rule 2: a critical error_type, or a numeric confidence below 0.75."""
    if not isinstance(evaluation, dict):
        return False
    error_type = evaluation.get("error_type")
    if isinstance(error_type, str) and error_type in CRITICAL_ERROR_TYPES:
        return True
    confidence = evaluation.get("confidence")
    return is_number(confidence) and confidence < CONFIDENCE_THRESHOLD


def has_system_error(spans):
    """Rule 3: any span with otel.status_code == "ERROR"."""
    return any(attrs_of(s).get("otel.status_code") == "ERROR" for s in spans)


def ingest_status(trace):
    """Status after ingesting this trace into an empty store.

    The tracebrain.trace.status attribute, default "running"; DECISION: a
    value that is not one of the four statuses also gives "running". Any of
    the three needs_review rules overrides it (also "failed" and "completed").
    """
    a = attrs_of(trace)
    spans = [s for s in (trace.get("spans") or []) if isinstance(s, dict)]
    status = a.get("tracebrain.trace.status")
    if not isinstance(status, str) or status not in STATUSES:
        status = "running"
    if (has_help_request(spans)
            or evaluation_requires_review(a.get("tracebrain.ai_evaluation"))
            or has_system_error(spans)):
        status = "needs_review"
    return status


def ingest_priority(trace):
    """tracebrain.trace.priority if it is an integer in 1..5, else 3.
    DECISION: booleans and floats (even 2.0) are not integers."""
    p = attrs_of(trace).get("tracebrain.trace.priority")
    if isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 5:
        return p
    return DEFAULT_PRIORITY


# ---------------------------------------------------------------- output

def expected_for(trace):
    target_id, messages, turns = reconstruct(trace)
    return {
        "trace_id": trace.get("trace_id"),
        "status": ingest_status(trace),
        "priority": ingest_priority(trace),
        "messages": messages,
        "turns": turns,
        "target_span_id": target_id,
    }


def dumps_expected(obj):
    """Pretty-printed, sorted keys, UTF-8 text, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
