print("tracekv")
