"""The audio input's thread: read, analyse, track the beat, offer controls; the show never waits.

`AudioInput` is a `Worker` like the camera: the reader (a file at real time, or a live input)
is opened on its thread, every block is analysed as it comes, and what it means reaches the
frame loop only through the control bus (the patch's audio lines, the tempo) and latest-value
slots (`state` for anyone who asks, `bus.status["audio"]` for the HUD: the level and the
tempo). A reader that won't open or is lost is retried with backoff (1, 2, 4 ... `retry_max`
s) while `error` and the status line say so (the log too, when it is lost), and a lost
one withdraws the music's tempo until it is heard again; a machine that can't do live input at all
(`AudioUnavailable`: no PortAudio) says so once and the thread ends. A file that ends stays
ended unless `loop` is set. If the thread dies from a bug, `died` says why, the status line
too, and the show plays on at its last tempo.

Tempo: audio is one of the show's tempo sources (`sync.tempo`). While the tracker is locked,
each beat hands `(bpm, beat_time)` to `offer_tempo`, the one place the audio tempo leaves this
package, which offers it to the rule with the beats counted since the lock; a lost lock
withdraws it, and the rule decides who leads. Without a lock nothing is offered: the dancer
keeps its own clock.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from livedance.audio.analysis import LOUDNESS_FLOOR_DB, Analyser, AnalysisConfig
from livedance.audio.beat import Beat, BeatConfig, BeatTracker
from livedance.audio.features import FeatureControls, Follower
from livedance.audio.source import AudioFault, AudioUnavailable, DeviceSource, FileSource, open_source
from livedance.control.controls import ControlBus
from livedance.control.mapping import Mapping
from livedance.errors import LivedanceError, one_line
from livedance.sync.tempo import TempoRule
from livedance.worker import Retry, Worker

log = logging.getLogger(__name__)

TEMPO_SOURCE = "audio"  # the music, among the show's tempo sources

STATUS_SECONDS = 0.25  # how often the HUD's line is rewritten
COST_BLOCKS = 4096  # blocks whose analysis time is kept (what bench reports)
METER = 10  # characters of the HUD's level meter
METER_RELEASE = 0.4  # seconds: the meter falls slowly enough to read between the hits


@dataclass(frozen=True)
class AudioState:
    """The latest of what the audio input heard (a new object each block: read it whole)."""

    time: float  # when the last sample analysed was heard (perf_counter)
    loudness_db: float
    loudness: float
    meter: float  # loudness as a meter shows it: rising at once, falling over METER_RELEASE s
    bass: float
    mid: float
    high: float
    bpm: float | None  # the tracker's tempo, locked or not
    confidence: float
    locked: bool
    beat_time: float | None  # the last beat reported


class AudioInput(Worker):
    """`--audio SPEC` on a daemon thread; see the module docstring.

    `mappings`: the patch lines with an audio source. `tempo`: the show's tempo rule, offered
    the music's tempo and beat while locked (None: the music sets no tempo).
    `opened`, `error`, `lost`, `ended`, `blocks` as the camera's; `costs` the analysis time of
    the last blocks (seconds).
    """

    def __init__(
        self,
        spec: str,
        bus: ControlBus,
        mappings: list[Mapping] | tuple[Mapping, ...] = (),
        loop: bool = False,
        tempo: TempoRule | None = None,
        retry_max: float = 10.0,
        realtime: bool = True,
        beat: BeatConfig | None = None,
        analysis: AnalysisConfig | None = None,
    ):
        super().__init__("livedance-audio", join_timeout=1.0)
        self.retry = Retry(retry_max)  # a bad retry_max is refused here, at start
        self.spec = str(spec)
        self.source = open_source(spec, loop=loop, realtime=realtime)  # a bad spec raises here, at start
        self.label = self.spec if self.source.kind == "device" else self.spec.replace("\\", "/").rsplit("/", 1)[-1]
        self.bus = bus
        self.mappings = [m for m in mappings if m.source == "audio"]
        self.tempo = tempo
        self._beat_config, self._analysis_config = beat, analysis
        self.opened = False
        self.error: str | None = None
        self.ended = False
        self.lost = 0
        self.blocks = 0
        self.state: AudioState | None = None
        self.costs = np.zeros(COST_BLOCKS)
        self.analyser: Analyser | None = None
        self.tracker: BeatTracker | None = None
        self.controls: FeatureControls | None = None
        self._last_beat: float | None = None
        self._beats = 0  # beats offered since the tracker locked: the rule's beat count
        self._offering = False
        self._meter = Follower(0.0, METER_RELEASE)
        self._status_due = 0.0
        self._status: str | None = None

    # --- the one place the tempo leaves ------------------------------------------------------
    def offer_tempo(self, bpm: float, beat_time: float) -> None:
        """The music's tempo and a beat's time (perf_counter), for the tempo rule."""
        if self.tempo is None:
            return
        self._beats = self._beats + 1 if self._offering else 0
        self.tempo.offer(TEMPO_SOURCE, bpm, float(self._beats), beat_time)
        self._offering = True

    def withdraw_tempo(self) -> None:
        """The lock is lost (silence, a break): the music offers no tempo until it locks again."""
        if self.tempo is not None and self._offering:
            self.tempo.withdraw(TEMPO_SOURCE)
        self._offering = False

    # --- lifecycle ---------------------------------------------------------------------------
    def _open(self) -> None:
        self._set_status("opening")  # the reader opens on the thread: start() never raises for it
        if self.tempo is not None:
            self.tempo.attach(TEMPO_SOURCE)

    def _close(self) -> None:
        if self.tempo is not None and self._started:
            self.tempo.detach(TEMPO_SOURCE)
        if self._status is not None and self.bus.status.get("audio") == self._status:
            del self.bus.status["audio"]

    def _set_status(self, text: str) -> None:
        self._status = f"audio {self.label}: {text}"
        self.bus.status["audio"] = self._status

    # --- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._listen()
        except Exception as exc:  # a bug: say so where the performer looks, then let Worker log it
            self._set_status(f"stopped ({one_line(exc, 120)}); playing on without it")
            self.opened = False
            raise

    def _listen(self) -> None:
        retry, source = self.retry, self.source
        while not self._stopping.is_set():
            try:
                source.open()
                outcome = self._play(source)
                reason = None
            except AudioUnavailable as exc:
                self.error = f"--audio {self.spec}: {exc}"
                self._set_status(f"unavailable: {exc}")
                return
            except AudioFault as exc:
                outcome, reason = ("lost" if self.opened else "dead"), str(exc)
            finally:
                source.close()
            self.opened = False
            if outcome == "stopped":
                return
            if outcome == "ended":
                self.ended = True
                return self._set_status("ended")
            lost = outcome == "lost"
            self.lost += lost
            self.error = f"--audio {self.spec}: " + (
                f"lost ({reason})" if lost else f"won't open ({reason}); expected {_expected(source)}"
            )
            if lost:  # the music's tempo goes with it, and a new lock is found when it is back
                self.withdraw_tempo()
                self.analyser = None
            what, delay = retry.failed(lost, reason)
            self._set_status(what)
            if retry.first and lost:  # one that won't open at the start: the command says so
                log.warning("%s", self._status)
            if self._stopping.wait(delay):
                return

    def _play(self, source: FileSource | DeviceSource) -> str:
        """Analyse blocks until stopped or the file ends: "stopped" or "ended" (faults raise)."""
        if self.analyser is None or self.analyser.samplerate != source.samplerate:
            self.analyser = Analyser(source.samplerate, self._analysis_config)
            self.tracker = BeatTracker(self.analyser.hop_seconds, self._beat_config)
            self.controls = FeatureControls(self.mappings, self.bus, self.analyser.hop_seconds)
        while not self._stopping.is_set():
            got = source.read(self._stopping)
            if got is None:
                return "stopped" if self._stopping.is_set() else "ended"
            self.process(*got)
            if self.error is not None:
                log.info("audio %s: back", self.label)
            self.opened, self.error = True, None
        return "stopped"

    def process(self, block: np.ndarray, heard: float) -> None:
        """Analyse one block whose last sample was heard at `heard`, and offer what it means."""
        analyser, tracker, controls = self.analyser, self.tracker, self.controls
        if analyser is None or tracker is None or controls is None:
            raise LivedanceError("audio: process() before the input was opened")
        began = time.perf_counter()
        features = analyser.features
        for hop_time in analyser.hops(block, heard):
            controls.hop(features)
            self._meter.step(features.loudness, analyser.hop_seconds)
            beat = tracker.push(features.low_flux, hop_time, features.sounding, features.bass)
            if beat is not None:
                self._beat(beat)
        controls.offer_levels(heard)
        if not tracker.locked:
            self.withdraw_tempo()
        self.costs[self.blocks % COST_BLOCKS] = time.perf_counter() - began
        self.blocks += 1
        self.state = AudioState(
            heard,
            features.loudness_db,
            features.loudness,
            self._meter.value,
            features.bass,
            features.mid,
            features.high,
            tracker.bpm,
            tracker.confidence,
            tracker.locked,
            self._last_beat,
        )
        if began >= self._status_due:
            self._status_due = began + STATUS_SECONDS
            self._set_status(status_text(self.state))

    def _beat(self, beat: Beat) -> None:
        self._last_beat = beat.time
        if self.controls is not None:
            self.controls.beat(beat)
        self.offer_tempo(beat.bpm, beat.time)

    def recent_costs(self) -> np.ndarray:
        """The analysis time of the last blocks (seconds), oldest first."""
        if self.blocks < COST_BLOCKS:
            return self.costs[: self.blocks].copy()
        return np.roll(self.costs, -(self.blocks % COST_BLOCKS))


def status_text(state: AudioState) -> str:
    """The HUD's words for the level and the tempo: "-18 dB [######----] 128.0 BPM locked"."""
    db = f"{LOUDNESS_FLOOR_DB * (1.0 - state.meter):.0f} dB" if state.meter > 0 else "silence"
    filled = round(state.meter * METER)
    meter = "[" + "#" * filled + "-" * (METER - filled) + "]"
    if state.bpm is None:
        tempo = "listening for a beat"
    else:
        tempo = f"{state.bpm:.1f} BPM {'locked' if state.locked else 'unsure'}"
    return f"{db} {meter} {tempo}"


def _expected(source: FileSource | DeviceSource) -> str:
    if source.kind == "file":
        return "an audio file (.wav, .flac, .ogg, .mp3)"
    return "an input device (livedance audio --list), or an audio file"
