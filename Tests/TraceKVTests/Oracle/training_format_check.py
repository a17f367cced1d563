#!/usr/bin/env python3
"""Checks training JSONL against the rules OpenAI documents for fine-tuning
files, independently of TraceKV's exporter (it shares no code with it).

    training_format_check.py chat FILE              # chat fine-tuning (SFT)
    training_format_check.py preference-openai FILE # preference fine-tuning (DPO)
    training_format_check.py preference-trl FILE    # TRL prompt/chosen/rejected

Rules checked (OpenAI "Supervised fine-tuning" and "Direct preference
optimization" guides, and the fine-tuning input schemas of the API reference):
- every line is one JSON object; chat lines carry a non-empty "messages" list
  and optionally "tools" and "parallel_tool_calls", nothing else;
- roles are system, user, assistant or tool; system and user content is a
  non-empty string;
- an assistant turn has non-empty text or tool calls (no empty turn); a tool
  call is {"id", "type": "function", "function": {"name", "arguments"}} with
  a unique id, a name of 1-64 characters [A-Za-z0-9_-] and arguments that are
  the JSON text of an object;
- every tool call is answered by one "tool" message carrying its id before
  the next non-tool message, and every tool message answers a pending call;
- a conversation has an assistant turn; every called function is declared in
  "tools" (type "function", a name, parameters an object schema), once;
- preference lines: the input messages end with a user turn, and each output
  is exactly one assistant message with non-empty text.
Prints the number of lines checked; exits 1 with one line per problem.
"""
import json
import re
import sys

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_tool_call(call, seen_ids, problems):
    if not isinstance(call, dict) or set(call) != {"id", "type", "function"}:
        problems.append(f"tool call must have exactly id, type, function: {call!r}")
        return None
    if not isinstance(call["id"], str) or not call["id"]:
        problems.append("tool call id must be a non-empty string")
        return None
    if call["id"] in seen_ids:
        problems.append(f"tool call id {call['id']} used twice")
    seen_ids.add(call["id"])
    if call["type"] != "function":
        problems.append(f"tool call type must be function, not {call['type']!r}")
    function = call["function"]
    if not isinstance(function, dict) or set(function) != {"name", "arguments"}:
        problems.append("tool call function must have exactly name and arguments")
        return None
    if not isinstance(function["name"], str) or not NAME.match(function["name"]):
        problems.append(f"function name {function['name']!r} is not 1-64 of [A-Za-z0-9_-]")
    if not isinstance(function["arguments"], str):
        problems.append("function arguments must be a string")
    else:
        try:
            if not isinstance(json.loads(function["arguments"]), dict):
                problems.append("function arguments must be a JSON object")
        except ValueError:
            problems.append(f"function arguments are not JSON: {function['arguments']!r}")
    return call["id"], function["name"]


def check_messages(messages, problems, allow_tools=True):
    """Returns the names of the functions called."""
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty list")
        return set()
    called = set()
    pending = []
    seen_ids = set()
    for index, message in enumerate(messages):
        where = f"message {index}"
        if not isinstance(message, dict):
            problems.append(f"{where} is not an object")
            continue
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool") or (role == "tool" and not allow_tools):
            problems.append(f"{where}: role {role!r} not allowed")
            continue
        if role != "tool" and pending:
            problems.append(f"{where}: tool calls {pending} not answered before a {role} message")
            pending = []
        content = message.get("content")
        if role in ("system", "user"):
            if set(message) - {"role", "content", "name"}:
                problems.append(f"{where}: unexpected keys {sorted(set(message) - {'role', 'content', 'name'})}")
            if not isinstance(content, str) or not content:
                problems.append(f"{where}: {role} content must be a non-empty string")
        elif role == "assistant":
            extra = set(message) - {"role", "content", "tool_calls", "weight", "name"}
            if extra:
                problems.append(f"{where}: unexpected keys {sorted(extra)}")
            calls = message.get("tool_calls")
            if calls is not None and (not allow_tools or not isinstance(calls, list) or not calls):
                problems.append(f"{where}: tool_calls must be a non-empty list")
                calls = None
            if content is not None and not isinstance(content, str):
                problems.append(f"{where}: assistant content must be a string or null")
            if not content and not calls:
                problems.append(f"{where}: empty assistant turn")
            for call in calls or []:
                checked = check_tool_call(call, seen_ids, problems)
                if checked:
                    pending.append(checked[0])
                    called.add(checked[1])
        else:
            if set(message) != {"role", "tool_call_id", "content"}:
                problems.append(f"{where}: a tool message has exactly role, tool_call_id, content")
            if not isinstance(content, str):
                problems.append(f"{where}: tool content must be a string")
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                problems.append(f"{where}: tool message answers no pending call ({call_id!r})")
            else:
                pending.remove(call_id)
    if pending:
        problems.append(f"tool calls {pending} never answered")
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        problems.append("no assistant turn")
    return called


def check_chat(line, problems):
    if set(line) - {"messages", "tools", "parallel_tool_calls"}:
        problems.append(f"unexpected keys {sorted(set(line) - {'messages', 'tools', 'parallel_tool_calls'})}")
    called = check_messages(line.get("messages"), problems)
    declared = []
    for tool in line.get("tools", []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            problems.append(f"tool {tool!r} must be {{type: function, function: {{...}}}}")
            continue
        name = function.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            problems.append(f"declared tool name {name!r} invalid")
        parameters = function.get("parameters", {"type": "object"})
        if not isinstance(parameters, dict) or parameters.get("type") != "object":
            problems.append(f"tool {name} parameters must be an object schema")
        declared.append(name)
    if len(declared) != len(set(declared)):
        problems.append(f"tools declared twice: {declared}")
    for name in sorted(called - set(declared)):
        problems.append(f"function {name} called but not declared in tools")


def check_output(output, what, problems):
    if not isinstance(output, list) or len(output) != 1:
        problems.append(f"{what} must be a list of exactly one assistant message")
        return
    message = output[0]
    if not isinstance(message, dict) or message.get("role") != "assistant" or set(message) != {"role", "content"}:
        problems.append(f"{what} must hold one {{role: assistant, content}} message")
    elif not isinstance(message["content"], str) or not message["content"]:
        problems.append(f"{what} content must be non-empty text")


def check_prompt(messages, problems):
    check_messages(messages + [{"role": "assistant", "content": "x"}] if isinstance(messages, list) else messages,
                   problems, allow_tools=False)
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict) and messages[-1].get("role") != "user":
        problems.append("the prompt must end with a user message")


def check_preference_openai(line, problems):
    if set(line) != {"input", "preferred_output", "non_preferred_output"}:
        problems.append(f"keys must be input, preferred_output, non_preferred_output: {sorted(line)}")
        return
    if not isinstance(line["input"], dict) or "messages" not in line["input"]:
        problems.append("input must be an object with messages")
        return
    check_prompt(line["input"]["messages"], problems)
    check_output(line["preferred_output"], "preferred_output", problems)
    check_output(line["non_preferred_output"], "non_preferred_output", problems)


def check_preference_trl(line, problems):
    if set(line) != {"prompt", "chosen", "rejected"}:
        problems.append(f"keys must be prompt, chosen, rejected: {sorted(line)}")
        return
    check_prompt(line["prompt"], problems)
    check_output(line["chosen"], "chosen", problems)
    check_output(line["rejected"], "rejected", problems)


CHECKS = {"chat": check_chat, "preference-openai": check_preference_openai, "preference-trl": check_preference_trl}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        return 2
    check = CHECKS[sys.argv[1]]
    failures = 0
    count = 0
    with open(sys.argv[2], encoding="utf-8") as handle:
        for number, text in enumerate(handle, 1):
            count += 1
            problems = []
            try:
                line = json.loads(text)
            except ValueError as error:
                problems.append(f"not JSON: {error}")
                line = None
            if line is not None and not isinstance(line, dict):
                problems.append("a line must be a JSON object")
            elif line is not None:
                check(line, problems)
            for problem in problems:
                print(f"line {number}: {problem}", file=sys.stderr)
            failures += bool(problems)
    print(count)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
