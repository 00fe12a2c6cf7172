"""Analysis of outcomes: explanations and near misses, the impact of a policy change, a pack's own test cases."""
