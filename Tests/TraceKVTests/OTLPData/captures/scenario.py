"""The scripted conversation every capture replays: prompts, tools, the stub model's replies.

Shared by the stub endpoint (which answers with REPLIES), the child runs (which send
SYSTEM/USER and execute the tools) and expected.json (written from these constants, never
from the captures).
"""

import json

REQUEST_MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
CREATED = 1767225600  # fixed so the stub's replies are byte-identical between runs

SYSTEM = "You are a concise weather assistant. Use the tools; never guess a temperature."
USER = "What's the weather in Paris right now? Please also give me the temperature in Fahrenheit."

WEATHER_ARGS = {"city": "Paris"}
CONVERT_ARGS = {"value": 18, "from_unit": "celsius", "to_unit": "fahrenheit"}
WEATHER_RESULT = "Paris: 18 °C, partly cloudy, wind 12 km/h"
FINAL = "It's partly cloudy in Paris right now: 18 °C (64.4 °F), with wind at 12 km/h."


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    if city != "Paris":
        raise ValueError(f"the capture script only knows Paris, not {city!r}")
    return WEATHER_RESULT


def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a temperature between celsius and fahrenheit."""
    if (from_unit, to_unit) != ("celsius", "fahrenheit"):
        raise ValueError(f"unsupported conversion {from_unit} -> {to_unit}")
    return f"{value * 9 / 5 + 32:.1f} °F"


TOOL_FUNCTIONS = {"get_weather": get_weather, "convert_units": convert_units}

# Chat Completions tool definitions for the scenarios that drive the raw client.
CHAT_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "convert_units",
            "description": "Convert a temperature between celsius and fahrenheit.",
            "parameters": {
                "type": "object",
                "properties": {
                    "value": {"type": "number"},
                    "from_unit": {"type": "string"},
                    "to_unit": {"type": "string"},
                },
                "required": ["value", "from_unit", "to_unit"],
            },
        },
    },
]

# One reply per LLM call, chosen by how many tool results the request already carries.
# Usage follows OpenAI: reasoning tokens are part of output tokens, cached part of input.
REPLIES = [
    {
        "tool_call": {"id": "call_weather_paris", "name": "get_weather", "arguments": WEATHER_ARGS},
        "usage": {"input_tokens": 142, "output_tokens": 18, "cached_tokens": 0, "reasoning_tokens": 0},
    },
    {
        "tool_call": {"id": "call_convert_18c", "name": "convert_units", "arguments": CONVERT_ARGS},
        "usage": {"input_tokens": 176, "output_tokens": 26, "cached_tokens": 128, "reasoning_tokens": 0},
    },
    {
        "text": FINAL,
        "usage": {"input_tokens": 214, "output_tokens": 41, "cached_tokens": 128, "reasoning_tokens": 12},
    },
]

# What the application sends back for each scripted call: the tools' own output
# ("64.4 °F" for the conversion).
TOOL_RESULTS = {
    r["tool_call"]["id"]: TOOL_FUNCTIONS[r["tool_call"]["name"]](**r["tool_call"]["arguments"])
    for r in REPLIES
    if "tool_call" in r
}


def arguments_text(arguments: dict) -> str:
    """The exact arguments string the stub sends (compact JSON, as OpenAI does)."""
    return json.dumps(arguments, separators=(",", ":"))


def expected_conversation(content_captured: bool) -> list:
    """The conversation as the agent saw it; without content only roles, ids and names remain."""

    def text(value):
        return value if content_captured else ""

    def message(role, content="", tool_calls=None, tool_call_id=None):
        return {"role": role, "content": content, "tool_calls": tool_calls or [], "tool_call_id": tool_call_id}

    conversation = [message("system", text(SYSTEM)), message("user", text(USER))]
    for reply in REPLIES:
        call = reply.get("tool_call")
        if call is None:
            conversation.append(message("assistant", text(reply["text"])))
            continue
        arguments = call["arguments"] if content_captured else None
        conversation.append(
            message("assistant", "", [{"id": call["id"], "name": call["name"], "arguments": arguments}])
        )
        conversation.append(message("tool", text(TOOL_RESULTS[call["id"]]), tool_call_id=call["id"]))
    return conversation
