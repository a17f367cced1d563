"""`GET /api/v1/curriculum`, `/curriculum/export` and the training formats of
`/export/traces`: the same answers as the CLI on the same store, limits at the
limit and one past."""

import json

import requests

from conftest import EXAMPLES, cli, cli_json


def fill(store):
    for path in sorted(EXAMPLES.glob("sample_*.json")):
        cli(store, "ingest", str(path))


def test_curriculum_routes_answer_as_the_cli(store, tmp_path):
    fill(store)
    from conftest import Server

    server = Server(store)
    try:
        api = server.url + "/api/v1"
        answer = requests.get(api + "/curriculum", params={"min_cluster": 2}, timeout=30)
        assert answer.status_code == 200
        assert answer.json() == cli_json(store, "curriculum", "--min-cluster", "2")

        tasks = tmp_path / "tasks.jsonl"
        cli(store, "curriculum", "-o", str(tasks))
        jsonl = requests.get(api + "/curriculum/export", params={"format": "jsonl"}, timeout=30)
        assert jsonl.status_code == 200 and jsonl.headers["content-type"] == "application/x-jsonlines"
        assert jsonl.text == tasks.read_text()
        array = requests.get(api + "/curriculum/export", timeout=30).json()
        assert array == [json.loads(line) for line in tasks.read_text().splitlines()]
        assert all(set(task) == {"id", "role", "content", "metadata"} for task in array)

        for value, status in [(0, 422), (1, 200), (2000, 200), (2001, 422)]:
            got = requests.get(api + "/curriculum", params={"min_cluster": value}, timeout=30)
            assert got.status_code == status, (value, got.text)
        assert requests.get(api + "/curriculum/export", params={"format": "csv"}, timeout=30).status_code == 400
    finally:
        assert server.stop() == 0


def test_training_exports_answer_as_the_cli(store):
    fill(store)
    cli(store, "feedback", "11112222333344445555666677778888", "--rating", "2")
    cli(store, "feedback", "9999aaaabbbbccccddddeeeeffff0000", "--rating", "5")
    from conftest import Server

    server = Server(store)
    try:
        url = server.url + "/api/v1/export/traces"
        chat = requests.get(url, params={"format": "openai-chat", "min_rating": 4}, timeout=30)
        assert chat.status_code == 200 and chat.headers["content-type"] == "application/x-jsonlines"
        assert chat.text == cli(store, "export", "--format", "openai-chat", "--min-rating", "4").stdout
        assert len(chat.text.splitlines()) == 13  # the 12 samples rated 4 or more, and attempt 2 now rated 5

        trl = requests.get(url, params={"format": "preference", "preference_style": "trl"}, timeout=30)
        assert trl.text == cli(store, "export", "--format", "preference", "--preference-style", "trl").stdout
        assert [set(json.loads(line)) for line in trl.text.splitlines()] == [{"prompt", "chosen", "rejected"}]
        for gap, status, pairs in [(3, 200, 1), (4, 200, 0), (5, 422, None)]:
            got = requests.get(url, params={"format": "preference", "min_rating_gap": gap}, timeout=30)
            assert got.status_code == status, got.text
            if pairs is not None:
                assert len(got.text.splitlines()) == pairs
        bad = requests.get(url, params={"format": "preference", "preference_style": "dpo"}, timeout=30)
        assert bad.status_code == 400
    finally:
        assert server.stop() == 0
