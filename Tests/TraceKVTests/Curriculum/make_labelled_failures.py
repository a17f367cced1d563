#!/usr/bin/env python3
"""Writes the labelled failures the curriculum's clustering is evaluated on:
traces in TraceBrain's format (shaped like Examples/tracebrain) whose true
failure type is known because this script injected it.

    python3 make_labelled_failures.py > labelled_failures.jsonl   # seed 19, committed

Seven true failure types, each a family of runs of one task template with
its own tool and failure (see TYPES). Every run gets a fresh task (other
cities, orders, companies...). To make the labels something the clustering
must earn rather than read:
- about 30% of failed runs carry no error type ("none", "general_failure" or
  no evaluation at all); they fail by a human rating of 1-2 or status
  failed, so only their tool and text place them;
- about 8% carry a wrong critical error type (the judge erred);
- two types share the tool convert_currency, two share query_sales_db, so the
  tool alone does not separate them;
- 40 successful runs of the same templates are mixed in (not failures).
The true type of each trace is its attribute "eval.true_type" (the store
keeps it, the clustering never reads it). Standard library only.
"""
import datetime
import json
import random

SEED = 19
CRITICAL = ["logic_loop", "hallucination", "invalid_tool_usage", "tool_execution_error",
            "format_error", "misinterpretation", "context_overflow"]
CITIES = ["Paris", "Berlin", "Tokyo", "Lima", "Oslo", "Cairo", "Seoul", "Quito", "Perth", "Dublin", "Austin", "Hanoi"]
COMPANIES = ["TechCorp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Acme"]
CURRENCIES = ["USD", "EUR", "JPY", "GBP", "CHF", "CAD"]
REGIONS = ["north", "south", "east", "west", "central"]
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]


def missing_traveler(r):
    a, b = r.sample(CITIES, 2)
    day = r.choice(["Monday", "Tuesday", "Friday", "next week"])
    return dict(
        system="You are a travel assistant. You must confirm details before booking.",
        task=f"Book me a flight from {a} to {b} on {day}.",
        thought="I will book the flight with the booking tool.",
        tool="book_flight", args={"from": a, "to": b, "date": day},
        output="Error: Missing traveler name.", error="Booking failed due to missing traveler name",
        answer="I could not book the flight.", judge="invalid_tool_usage",
        feedback="Called book_flight without the required traveler name.")


def sales_timeout(r):
    q, region = r.choice(QUARTERS), r.choice(REGIONS)
    return dict(
        system="You are a sales analyst with database access.",
        task=f"What were the {q} sales in the {region} region?",
        thought="I need to query the sales database.",
        tool="query_sales_db", args={"quarter": q, "region": region},
        output="Error 504: upstream timeout after 30s", error="Database query timed out",
        answer="The database is not responding right now.", judge="tool_execution_error",
        feedback="The database timed out and the agent gave up without retrying.")


def sales_misread(r):
    q, region = r.choice(QUARTERS), r.choice(REGIONS)
    value = r.randint(100, 999)
    return dict(
        system="You are a sales analyst with database access.",
        task=f"Compare {q} revenue for {region} against the target.",
        thought="I will fetch the revenue figures first.",
        tool="query_sales_db", args={"quarter": q, "region": region, "metric": "revenue"},
        output=f"revenue_thousands={value}; target_thousands={value + 50}",
        error=None, answer=f"Revenue was {value} million, well above target.", judge="misinterpretation",
        feedback="Read thousands as millions and reversed the comparison with the target.")


def order_loop(r):
    order = f"ORD-{r.randint(1000, 9999)}"
    return dict(
        system="You are an order management assistant.",
        task=f"Where is my order {order}? It should have arrived.",
        thought=f"Let me check the status of {order} again.",
        tool="check_order_status", args={"order_id": order}, repeat=r.randint(3, 5),
        output="Status: processing", error=None,
        answer="Your order is still processing.", judge="logic_loop",
        feedback="Called check_order_status repeatedly with the same id and the same result.")


def invented_ceo(r):
    company = r.choice(COMPANIES)
    return dict(
        system="You are a research assistant. Use tools to verify facts.",
        task=f"Who is the current CEO of {company} and when were they appointed?",
        thought="I know this already.", tool=None, args=None, output=None, error=None,
        answer=f"The CEO of {company} is Jordan {r.choice(['Blake', 'Reyes', 'Tanaka', 'Okafor'])}, appointed in {r.randint(2015, 2023)}.",
        judge="hallucination", feedback="Stated a CEO and a date without any tool call; both are invented.")


def amount_as_text(r):
    a, b = r.sample(CURRENCIES, 2)
    amount = r.randint(10, 5000)
    return dict(
        system="You are a finance assistant with a currency tool.",
        task=f"Convert {amount} {a} to {b}.",
        thought="I will call the converter.",
        tool="convert_currency", args={"amount": f"{amount} {a}", "from": a, "to": b},
        output="Error: parameter 'amount' must be a number", error="Invalid argument type for amount",
        answer="The conversion failed.", judge="invalid_tool_usage",
        feedback="Passed the amount as a string with the currency instead of a number.")


def wrong_direction(r):
    a, b = r.sample(CURRENCIES, 2)
    amount = r.randint(10, 5000)
    rate = round(r.uniform(0.5, 1.6), 3)
    return dict(
        system="You are a finance assistant with a currency tool.",
        task=f"How much is {amount} {a} worth in {b} today?",
        thought="I will look up the rate.",
        tool="convert_currency", args={"amount": amount, "from": a, "to": b},
        output=f"rate {b}/{a} = {rate}; result = {round(amount * rate, 2)} {b}",
        error=None, answer=f"{amount} {a} is {round(amount / rate, 2)} {b}.", judge="misinterpretation",
        feedback="Divided by the rate instead of reading the result the tool returned.")


TYPES = {
    "missing_parameter": (missing_traveler, 24),
    "api_timeout": (sales_timeout, 20),
    "revenue_misread": (sales_misread, 16),
    "logic_loop": (order_loop, 18),
    "hallucinated_fact": (invented_ceo, 18),
    "amount_type": (amount_as_text, 16),
    "rate_misread": (wrong_direction, 14),
}


def hex_id(r, n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def trace(r, index, true_type, run, failed):
    trace_id = hex_id(r, 32)
    t0 = 1_764_000_000 + index * 600
    def ts(offset):
        moment = datetime.datetime.fromtimestamp(t0 + offset, datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    spans = []
    parent = None
    clock = 0
    user = [{"role": "user", "content": run["task"]}]
    repeat = run.get("repeat", 1) if run["tool"] else 0
    for step in range(repeat):
        llm = hex_id(r, 16)
        call = {"tool_call": {"name": run["tool"], "arguments": run["args"]}}
        spans.append({"span_id": llm, "parent_id": parent, "name": "LLM Inference (Tool Call)",
                      "start_time": ts(clock), "end_time": ts(clock + 1), "attributes": {
                          "tracebrain.span.type": "llm_inference",
                          "tracebrain.llm.new_content": json.dumps(user if step == 0 else [{"role": "tool", "content": run["output"]}]),
                          "tracebrain.llm.completion": f"Thought: {run['thought']}\n{json.dumps(call)}",
                          "tracebrain.llm.thought": run["thought"],
                          "tracebrain.llm.tool_code": f"{run['tool']}({run['args']!r})"}})
        tool = hex_id(r, 16)
        output = run["output"] if failed else "OK: done."
        attributes = {"tracebrain.span.type": "tool_execution", "tracebrain.tool.name": run["tool"],
                      "tracebrain.tool.input": repr(run["args"]), "tracebrain.tool.output": output}
        if failed and run["error"]:
            attributes["otel.status_code"] = "ERROR"
            attributes["otel.status_description"] = run["error"]
        spans.append({"span_id": tool, "parent_id": llm, "name": f"Tool Execution: {run['tool']}",
                      "start_time": ts(clock + 2), "end_time": ts(clock + 3), "attributes": attributes})
        parent = tool
        clock += 4
        if not failed:
            break
    final = hex_id(r, 16)
    content = user if not spans else [{"role": "tool", "content": run["output"] if failed else "OK: done."}]
    answer = run["answer"] if failed else "Done: the request was completed and verified."
    spans.append({"span_id": final, "parent_id": parent, "name": "LLM Inference (Final Answer)",
                  "start_time": ts(clock), "end_time": ts(clock + 1), "attributes": {
                      "tracebrain.span.type": "llm_inference", "tracebrain.llm.new_content": json.dumps(content),
                      "tracebrain.llm.completion": answer, "tracebrain.llm.final_answer": answer}})
    attributes = {"system_prompt": run["system"], "tracebrain.episode.id": f"ep-{trace_id[:8]}",
                  "eval.true_type": true_type if failed else "success"}
    if not failed:
        attributes["tracebrain.ai_evaluation"] = {"rating": 5, "confidence": 0.95, "error_type": "none",
                                                  "feedback": "Completed."}
        return {"trace_id": trace_id, "attributes": attributes, "spans": spans}
    roll = r.random()
    if roll < 0.30:
        # The judge named no error: the failure shows in a human rating or the status.
        choice = r.choice(["none", "general_failure", None])
        if choice is not None:
            attributes["tracebrain.ai_evaluation"] = {"rating": 2, "confidence": 0.9, "error_type": choice,
                                                      "feedback": "Unclear outcome."}
        if r.random() < 0.5:
            attributes["tracebrain.feedback"] = {"rating": r.choice([1, 2]), "comment": run["feedback"]}
        else:
            attributes["tracebrain.trace.status"] = "failed"
    else:
        judged = run["judge"] if roll >= 0.38 else r.choice([t for t in CRITICAL if t != run["judge"]])
        attributes["tracebrain.ai_evaluation"] = {"rating": r.choice([1, 2]), "confidence": round(r.uniform(0.8, 0.99), 2),
                                                  "error_type": judged, "feedback": run["feedback"]}
    return {"trace_id": trace_id, "attributes": attributes, "spans": spans}


def main():
    r = random.Random(SEED)
    plan = [(name, True) for name, (_, count) in TYPES.items() for _ in range(count)]
    plan += [(r.choice(list(TYPES)), False) for _ in range(40)]
    r.shuffle(plan)
    for index, (name, failed) in enumerate(plan):
        print(json.dumps(trace(r, index, name, TYPES[name][0](r), failed)))


if __name__ == "__main__":
    main()
