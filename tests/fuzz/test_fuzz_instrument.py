"""Controls reaching the dancer: random controls of every kind through the real ControlBus and
Mixer of a real headless instrument (the shipped bundle, SDL's dummy driver), frames drawn
between them.

Whatever arrives (any registry name or none, NaN, infinities, huge ints, wrong types, /norm
positions, dimensions past the model's, toggles, unknown ops), every parameter the show reads
back stays within its registry range, the choreographer's latents stay finite and the canvas
stays a whole uint8 frame.
"""

import math
import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import tempfile  # noqa: E402

import numpy as np  # noqa: E402
from bare_show import MODEL  # noqa: E402
from fuzz_budget import fuzz  # noqa: E402
from hypothesis import event  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule  # noqa: E402
from in_range import check_value  # noqa: E402
from virtual_clock import VirtualClock  # noqa: E402

from livedance.control import params as _params  # noqa: E402
from livedance.control.params import MAX_BPM, MAX_SPEED, MIN_BPM, MIN_SPEED  # noqa: E402
from livedance.live.actions import ACTIONS  # noqa: E402
from livedance.live.command import build  # noqa: E402
from livedance.live.settings import LiveSettings  # noqa: E402

SIZE = (160, 120)
WORDS = ["on", "off", "red", "#123456", "generate", "follow", "link", "midi", "manual", "latent/2", "speed", "default"]
NAMES = st.one_of(st.sampled_from(sorted(_params.REGISTRY)), st.sampled_from(["", "nosuch", "latent/3", "Speed"]))
ODD_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, -1, 0, 1, 7, 200]),
    ODD_FLOATS,
    st.floats(-5.0, 5.0),
    st.text(max_size=10),
    st.sampled_from(WORDS),
    st.lists(ODD_FLOATS, max_size=4),
    st.lists(st.floats(-4.0, 4.0), min_size=1, max_size=3).map(lambda v: v * 43),  # 43 to 129 long: near 128
    st.lists(st.integers(-300, 300), min_size=3, max_size=3),
    st.builds(lambda n: np.full(n, 0.5, np.float32), st.sampled_from([0, 1, 128, 129])),
    st.binary(max_size=8),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
INDICES = st.one_of(st.none(), st.integers(0, 130), st.sampled_from([-1, 10**20]), st.text(max_size=2))
OPS = st.sampled_from(["set", "set", "toggle", "bogus"])
# What may read None: the model's own noise, steps per beat while no tempo is locked.
UNSET = {"noise", "steps_per_beat"}
# The dance's hard limits, which keys and tempo triggers may reach beyond a knob's range.
LIMITS = {"speed": (MIN_SPEED, MAX_SPEED), "bpm": (MIN_BPM, MAX_BPM)}


class Played(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = tempfile.TemporaryDirectory(prefix="livedance-fuzz-")
        where = self.folder.name
        settings = LiveSettings(model=str(MODEL), fps=0, record_dir=where, learn_file=f"{where}/learned.toml")
        self.inst = build(settings, headless=True, size=SIZE)
        self.inst.clock = VirtualClock()
        self.inst.run(frames=1)

    def teardown(self):
        self.inst.finish()
        self.inst.close()
        self.folder.cleanup()

    @rule(name=NAMES, value=VALUES, norm=st.booleans(), index=INDICES, op=OPS)
    def offer(self, name, value, norm, index, op):
        event(
            "offer taken" if self.inst.bus.offer(name, value, "osc", norm=norm, index=index, op=op) else "offer refused"
        )

    @rule(name=st.sampled_from(sorted(_params.REGISTRY)), x=st.floats(-0.5, 1.5))
    def fader(self, name, x):
        self.inst.bus.offer(name, x, "midi", norm=True)

    @rule(frames=st.integers(1, 12))
    def draw(self, frames):
        self.inst.run(frames=frames)

    @invariant()
    def parameters_in_range(self):
        for name, param in _params.REGISTRY.items():
            if not param.kind.plain:
                continue
            value = ACTIONS[name].read(self.inst)
            if value is None and name in UNSET:
                continue
            if name in LIMITS:
                low, high = LIMITS[name]
                assert math.isfinite(value) and low <= value <= high, f"{name} = {value!r}"
            elif name == "model":
                assert isinstance(value, str) and value, f"model = {value!r}"
            else:
                check_value(param, value)
        latent = ACTIONS["latent"].read(self.inst)
        check_value(_params.REGISTRY["latent"], np.asarray(latent, np.float32))

    @invariant()
    def latents_finite_and_canvas_whole(self):
        choreographer = self.inst.performance.choreographer
        assert np.all(np.isfinite(choreographer.frame(self.inst.clock())))
        canvas = self.inst.compositor.canvas
        assert canvas.dtype == np.uint8 and canvas.shape == (SIZE[1], SIZE[0], 3) and canvas.flags.c_contiguous


Played.TestCase.settings = fuzz(12, stateful_step_count=25)
TestControlsKeepTheShowInRange = Played.TestCase
