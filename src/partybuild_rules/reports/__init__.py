"""Reports of results and diffs: the Chinese terminal summary, JSON and CSV."""
