"""The official `mcp` Python client: `tracekv mcp` over stdio and `tracekv serve` at /mcp."""

import json

import anyio
import pytest

from conftest import EXAMPLES, TRACEKV, cli, cli_json

TOOLS = {
    "search_past_experiences", "search_similar_traces", "get_trace", "list_traces",
    "request_human_intervention", "add_feedback", "usage_summary", "diff_runs", "failure_curriculum",
}
FAILED_SAMPLE = json.loads((EXAMPLES / "sample_10_partial_failure.json").read_text())["trace_id"]


def fill(store):
    for path in sorted(EXAMPLES.glob("sample_*.json")):
        cli(store, "ingest", str(path))


async def exercise(session, store):
    """Every tool once, each checked against what the CLI reads from the store."""
    await session.initialize()
    listed = await session.list_tools()
    assert {tool.name for tool in listed.tools} == TOOLS

    curriculum = await session.call_tool("failure_curriculum", {"min_cluster": 2})
    assert not curriculum.is_error
    expected_curriculum = cli_json(store, "curriculum", "--min-cluster", "2")
    assert curriculum.structured_content == expected_curriculum and len(expected_curriculum["clusters"]) == 1
    assert expected_curriculum["clusters"][0]["representative"] in curriculum.content[0].text
    assert (await session.call_tool("failure_curriculum", {"min_cluster": 0})).is_error

    query = "find a company's stock price and do arithmetic with it"
    found = await session.call_tool("search_past_experiences", {"task_description": query})
    assert not found.is_error
    results = found.structured_content["results"]
    assert 1 <= len(results) <= 3 and all(r["rating"] >= 4 for r in results)
    assert results[0]["trace_id"] == cli_json(store, "experiences", query, "--limit", "3")["results"][0]["trace_id"]
    assert results[0]["trace_id"] in found.content[0].text

    similar = await session.call_tool("search_similar_traces", {"query": "tool failed", "keywords": "LOGIC_LOOP", "limit": 2})
    assert not similar.is_error and len(similar.structured_content["results"]) <= 2

    messages = await session.call_tool("get_trace", {"trace_id": FAILED_SAMPLE, "view": "messages"})
    assert messages.structured_content["messages"] == cli_json(store, "show", FAILED_SAMPLE, "--view", "messages")
    turns = await session.call_tool("get_trace", {"trace_id": FAILED_SAMPLE, "view": "turns"})
    assert len(turns.structured_content["turns"]) == len(cli_json(store, "show", FAILED_SAMPLE, "--view", "turns"))
    tree = await session.call_tool("get_trace", {"trace_id": FAILED_SAMPLE, "view": "tree"})
    assert tree.structured_content["spans"] and "- " in tree.content[0].text
    missing = await session.call_tool("get_trace", {"trace_id": "0" * 32})
    assert missing.is_error and "no trace" in missing.content[0].text
    bad_view = await session.call_tool("get_trace", {"trace_id": FAILED_SAMPLE, "view": "raw"})
    assert bad_view.is_error

    page = await session.call_tool("list_traces", {"status": "completed", "limit": 100})
    expected = cli_json(store, "list", "--status", "completed", "--limit", "100")
    assert [t["trace_id"] for t in page.structured_content["traces"]] == [t["trace_id"] for t in expected["traces"]]

    flagged = await session.call_tool("request_human_intervention", {"trace_id": FAILED_SAMPLE, "reason": "loops"})
    assert not flagged.is_error
    assert cli_json(store, "show", FAILED_SAMPLE)["status"] == "needs_review"

    rated = await session.call_tool("add_feedback", {"trace_id": FAILED_SAMPLE, "rating": 2, "comment": "wrong tool"})
    assert not rated.is_error
    shown = cli_json(store, "show", FAILED_SAMPLE)
    assert shown["feedback"]["rating"] == 2 and shown["feedback"]["comment"] == "wrong tool"
    out_of_range = await session.call_tool("add_feedback", {"trace_id": FAILED_SAMPLE, "rating": 6})
    assert out_of_range.is_error and cli_json(store, "show", FAILED_SAMPLE)["feedback"]["rating"] == 2


def test_stdio(store):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    fill(store)

    async def main():
        parameters = StdioServerParameters(command=TRACEKV, args=["--store", str(store), "mcp"])
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
            await exercise(session, store)

    anyio.run(main)


def test_streamable_http(store):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from conftest import Server

    fill(store)
    server = Server(store)
    try:
        async def main():
            async with streamable_http_client(server.url + "/mcp") as (read, write), ClientSession(read, write) as session:
                await exercise(session, store)

        anyio.run(main)
    finally:
        assert server.stop() == 0
