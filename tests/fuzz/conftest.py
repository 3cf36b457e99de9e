"""Hypothesis profiles for the fuzz suites: a bounded one for CI and a long one for a soak.

`LIVEDANCE_FUZZ=long python -m pytest tests/fuzz --hypothesis-show-statistics` tries 50 times
as many examples (the CI profile: about 25 s on two cores; the long one: half an hour or more).
The profiles are registered here and applied per test (`fuzz_budget.fuzz`), never loaded
globally, so the rest of the suite's property tests keep hypothesis' defaults. Examples stay
random from run to run (no derandomize): a failure prints its seed and the shrunk input, and
`@reproduce_failure` where it can.
"""

from fuzz_budget import CI, LONG_PROFILE, SCALE
from hypothesis import settings

settings.register_profile(
    CI,
    deadline=None,  # two shared cores: one slow example is the machine, not the code
    max_examples=100,
    print_blob=True,
)
settings.register_profile(LONG_PROFILE, settings.get_profile(CI), max_examples=100 * SCALE)
