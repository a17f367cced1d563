"""Runs one scenario in its own process (instrumentations patch globally) and exits.

Usage: child.py SCENARIO_JSON MODEL_URL COLLECTOR_URL
Prints one JSON line: the tools it executed, in order, and the versions of the packages that
made the data (the instrumentation first), read in this interpreter.
"""

import json
import sys
from importlib import metadata

from opentelemetry import trace
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

import scenario as s

API_KEY = "sk-tracekv-capture-not-a-key"
executed = []  # tool names in execution order
EXTRA_DISTS = {"openai-v2": ["opentelemetry-util-genai"], "openinference-openai-agents": ["openai-agents"],
               "openllmetry": ["opentelemetry-semantic-conventions-ai"]}


def run_tool(name, arguments):
    executed.append(name)
    return s.TOOL_FUNCTIONS[name](**arguments)


def configure(config, collector_url):
    resource = Resource.create({"service.name": f"tracekv-capture-{config['name']}"})
    batch = config["processor"] == "batch"
    tracer_provider = TracerProvider(resource=resource)
    span_exporter = OTLPSpanExporter(endpoint=f"{collector_url}/v1/traces")
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter) if batch else SimpleSpanProcessor(span_exporter))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider(resource=resource)
    log_exporter = OTLPLogExporter(endpoint=f"{collector_url}/v1/logs")
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(log_exporter) if batch else SimpleLogRecordProcessor(log_exporter)
    )
    set_logger_provider(logger_provider)
    return tracer_provider, logger_provider


def instrument(config, tracer_provider, logger_provider):
    family = config["family"]
    if family == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    elif family == "openinference-openai":
        from openinference.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider)
    elif family == "openinference-openai-agents":
        from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

        # exclusive (the default) replaces the SDK's own exporter to OpenAI's servers.
        OpenAIAgentsInstrumentor().instrument(tracer_provider=tracer_provider, exclusive_processor=True)
    elif family == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor(use_attributes=config["use_attributes"]).instrument(
            tracer_provider=tracer_provider, logger_provider=logger_provider
        )
    elif family == "pydantic-ai":
        pass  # instrumented per agent below
    else:
        raise SystemExit(f"unknown family {family}")


def run_chat(config, model_url):
    """The raw client loop, as an application without an agent framework writes it."""
    from openai import OpenAI

    client = OpenAI(base_url=model_url, api_key=API_KEY, max_retries=0)
    stream = config["runner"] == "chat_stream"
    messages = [{"role": "system", "content": s.SYSTEM}, {"role": "user", "content": s.USER}]
    while True:
        if stream:
            message = _streamed_message(client, messages)
        else:
            response = client.chat.completions.create(
                model=s.REQUEST_MODEL, messages=messages, tools=s.CHAT_TOOLS, temperature=0
            )
            message = response.choices[0].message.model_dump(exclude_none=True)
        if not message.get("tool_calls"):
            return
        messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": message["tool_calls"]})
        for call in message["tool_calls"]:
            result = run_tool(call["function"]["name"], json.loads(call["function"]["arguments"]))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})


def _streamed_message(client, messages):
    """Consumes a stream to the end (so instrumentations finish their spans) and rebuilds the message."""
    content, calls = "", {}
    stream = client.chat.completions.create(
        model=s.REQUEST_MODEL, messages=messages, tools=s.CHAT_TOOLS, temperature=0,
        stream=True, stream_options={"include_usage": True},
    )
    for chunk in stream:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for piece in choice.delta.tool_calls or []:
                call = calls.setdefault(piece.index, {"id": "", "type": "function",
                                                      "function": {"name": "", "arguments": ""}})
                call["id"] = piece.id or call["id"]
                if piece.function:
                    call["function"]["name"] = piece.function.name or call["function"]["name"]
                    call["function"]["arguments"] += piece.function.arguments or ""
    message = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def run_agents(model_url):
    from agents import Agent, Runner, function_tool, set_default_openai_api, set_default_openai_client
    from openai import AsyncOpenAI

    set_default_openai_client(AsyncOpenAI(base_url=model_url, api_key=API_KEY, max_retries=0), use_for_tracing=False)
    set_default_openai_api("responses")

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return run_tool("get_weather", {"city": city})

    @function_tool
    def convert_units(value: float, from_unit: str, to_unit: str) -> str:
        """Convert a temperature between celsius and fahrenheit."""
        return run_tool("convert_units", {"value": value, "from_unit": from_unit, "to_unit": to_unit})

    agent = Agent(name="Weather assistant", instructions=s.SYSTEM, tools=[get_weather, convert_units],
                  model=s.REQUEST_MODEL)
    result = Runner.run_sync(agent, s.USER)
    assert result.final_output == s.FINAL, result.final_output


def run_pydantic_ai(config, model_url):
    from pydantic_ai import Agent
    from pydantic_ai.capabilities import Instrumentation
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel(s.REQUEST_MODEL, provider=OpenAIProvider(base_url=model_url, api_key=API_KEY))
    settings = InstrumentationSettings(**({"version": config["version"]} if "version" in config else {}))
    agent = Agent(model, instructions=s.SYSTEM, name="weather_assistant",
                  capabilities=[Instrumentation(settings=settings)])

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return run_tool("get_weather", {"city": city})

    @agent.tool_plain
    def convert_units(value: float, from_unit: str, to_unit: str) -> str:
        """Convert a temperature between celsius and fahrenheit."""
        return run_tool("convert_units", {"value": value, "from_unit": from_unit, "to_unit": to_unit})

    result = agent.run_sync(s.USER)
    assert result.output == s.FINAL, result.output


def main():
    config, model_url, collector_url = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    tracer_provider, logger_provider = configure(config, collector_url)
    instrument(config, tracer_provider, logger_provider)
    runner = config["runner"]
    if runner in ("chat", "chat_stream"):
        # A root span of the application's own, as real apps have, so the calls share one trace.
        with trace.get_tracer("tracekv.capture").start_as_current_span("weather_question"):
            run_chat(config, model_url)
    elif runner == "agents":
        run_agents(model_url)
    elif runner == "pydantic-ai":
        run_pydantic_ai(config, model_url)
    else:
        raise SystemExit(f"unknown runner {runner}")
    tracer_provider.shutdown()
    logger_provider.shutdown()
    dists = [config["library"], "openai", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http",
             "opentelemetry-proto"] + EXTRA_DISTS.get(config["family"], [])
    versions = [f"{d}=={metadata.version(d)}" for d in dists]
    print(json.dumps({"tools_executed": executed, "versions": versions}))


if __name__ == "__main__":
    main()
