"""The rotation monitor: reads the store once, runs the indicators, slices them at an as-of date."""
