"""The shared badge catalog: loads and validates badges/ and criteria/."""
