"""`make bench`: edgeaccel measured side by side with the tools users would otherwise use."""
