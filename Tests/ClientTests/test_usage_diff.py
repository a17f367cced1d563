"""`GET /api/v1/usage`, `GET /api/v1/diff` and the MCP tools `usage_summary` and `diff_runs`:
the same JSON as `tracekv usage --json` and `tracekv diff --json`."""

import anyio
import requests

from conftest import EXAMPLES, TRACEKV, Server, cli, cli_json

ATTEMPT_1 = "11112222333344445555666677778888"
ATTEMPT_2 = "9999aaaabbbbccccddddeeeeffff0000"


def fill(store):
    cli(store, "ingest", str(EXAMPLES))


def test_rest_usage_and_diff(store):
    fill(store)
    server = Server(store)
    try:
        api = server.url + "/api/v1"
        usage = requests.get(api + "/usage", params={"by": "model"}, timeout=30)
        assert usage.status_code == 200
        assert usage.json() == cli_json(store, "usage", "--by", "model")
        assert usage.json()["total"]["input_tokens"] == 3912
        episode = requests.get(api + "/usage", params={"by": "tool", "episode_id": "ep-demo-group-001"}, timeout=30).json()
        assert episode == cli_json(store, "usage", "--by", "tool", "--episode", "ep-demo-group-001")
        assert [group["key"] for group in episode["groups"]] == ["book_flight"]
        assert requests.get(api + "/usage", params={"by": "colour"}, timeout=30).status_code == 422

        diff = requests.get(api + "/diff", params={"a": ATTEMPT_1, "b": ATTEMPT_2}, timeout=30)
        assert diff.status_code == 200
        assert diff.json() == cli_json(store, "diff", ATTEMPT_1, ATTEMPT_2)
        assert diff.json()["first_divergence"]["position"] == 1
        assert requests.get(api + "/diff", params={"a": ATTEMPT_1, "b": "0" * 32}, timeout=30).status_code == 404
        assert requests.get(api + "/diff", params={"a": ATTEMPT_1}, timeout=30).status_code == 422

        spec = requests.get(api + "/openapi.json", timeout=10).json()
        assert "/api/v1/usage" in spec["paths"] and "/api/v1/diff" in spec["paths"]
    finally:
        assert server.stop() == 0


def test_mcp_usage_summary_and_diff_runs(store):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    fill(store)

    async def main():
        parameters = StdioServerParameters(command=TRACEKV, args=["--store", str(store), "mcp"])
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            usage = await session.call_tool("usage_summary", {"by": "episode"})
            assert not usage.is_error
            assert usage.structured_content == cli_json(store, "usage", "--by", "episode")
            assert "total: 40 LLM calls, 3912 input" in usage.content[0].text
            bad = await session.call_tool("usage_summary", {"by": "colour"})
            assert bad.is_error and "by must be one of" in bad.content[0].text

            diff = await session.call_tool("diff_runs", {"trace_a": ATTEMPT_1, "trace_b": ATTEMPT_2})
            assert not diff.is_error
            assert diff.structured_content == cli_json(store, "diff", ATTEMPT_1, ATTEMPT_2)
            assert "First divergence at step 1" in diff.content[0].text
            missing = await session.call_tool("diff_runs", {"trace_a": ATTEMPT_1, "trace_b": "0" * 32})
            assert missing.is_error and "no trace" in missing.content[0].text

    anyio.run(main)
