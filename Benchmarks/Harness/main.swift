print("tracekv-bench")
