"""`rotascope weekly`: update, analyze at the complete as-of, compare with last week, write the report."""
