"""Train the autoencoder, then the LSTM on its latents (needs the `train` extras).

A run folder holds everything needed to resume or export:
  config.json            the RunConfig (how the run was made)
  split.json             which clips were held out for validation
  encoder.keras, decoder.keras, predictor.keras   best weights of each phase
  latents.npz            encoded frames, latent mean/std (the LSTM's normalisation)
  backup/                Keras BackupAndRestore state: a killed run resumes mid-phase
  logs/                  CSV and TensorBoard logs
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import numpy as np

from livedance.config import ARCHS, AutoencoderConfig, PredictorConfig, RunConfig, TrainConfig, to_dict
from livedance.data.dataset import Dataset, concat
from livedance.errors import LivedanceError
from livedance.runtime.frames import to_ink
from livedance.training.models import build_autoencoder, build_predictor, make_silhouette_loss, silhouette_iou


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", required=True, metavar="D.npz", help="dataset (repeatable)")
    parser.add_argument("--out", required=True, metavar="runs/NAME", help="run folder")
    parser.add_argument("--arch", choices=ARCHS, default="default")
    parser.add_argument(
        "--epochs-ae", type=int, default=None, help="autoencoder epochs (default %d)" % TrainConfig.epochs_ae
    )
    parser.add_argument(
        "--epochs-lstm", type=int, default=None, help="LSTM epochs (default %d)" % TrainConfig.epochs_lstm
    )
    parser.add_argument("--batch-ae", type=int, default=None)
    parser.add_argument("--batch-lstm", type=int, default=None)
    parser.add_argument(
        "--input-noise", type=float, default=None, help="Gaussian noise on the LSTM's input window while training"
    )
    parser.add_argument("--residual", action="store_true", help="the LSTM predicts the change from the last latent")
    parser.add_argument("--lstm-units", default=None, metavar="N,N", help="LSTM layer sizes (default arch: 256,256)")
    parser.add_argument(
        "--reuse-autoencoder",
        default=None,
        metavar="runs/OTHER",
        help="start from another run's trained autoencoder (and, on the same data, its latents and split): "
        "only the LSTM trains",
    )
    parser.add_argument(
        "--max-frames",
        type=int,
        default=None,
        help="use at most this many frames per epoch for the autoencoder (fast trials)",
    )
    parser.add_argument("--resume", action="store_true", help="carry on a run that was stopped or killed")
    parser.add_argument(
        "--distribute", choices=("none", "mirrored", "multiworker"), default="none", help="tf.distribute strategy"
    )
    parser.add_argument(
        "--logical-cpus",
        type=int,
        default=0,
        help="split the CPU into N logical devices (to exercise --distribute here)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no per-batch progress")


def _run_config(args) -> RunConfig:
    cfg = RunConfig()
    cfg.autoencoder = AutoencoderConfig(arch=args.arch)
    cfg.predictor = PredictorConfig(arch=args.arch)
    if args.arch == "seed":
        cfg.predictor.input_noise = 0.0
    if args.input_noise is not None:
        cfg.predictor.input_noise = args.input_noise
    if args.residual:
        cfg.predictor.residual = True
    if args.lstm_units is not None:
        try:
            units = tuple(int(u) for u in args.lstm_units.split(","))
        except ValueError:
            units = ()
        if not units or min(units) < 1:
            raise LivedanceError(f"--lstm-units {args.lstm_units!r}: expected layer sizes like 512,256")
        cfg.predictor.units = units
    t = cfg.train
    for name in ("epochs_ae", "epochs_lstm", "batch_ae", "batch_lstm"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                raise LivedanceError(f"--{name.replace('_', '-')} {value}: expected a positive number")
            setattr(t, name, value)
    t.seed = args.seed
    cfg.data = [str(p) for p in args.data]
    return cfg


def split_clips(dataset: Dataset, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Hold out whole takes: clips named `take@yawN` of one take go to the same side."""
    takes = sorted({name.split("@")[0] for name in dataset.clip_names})
    if len(takes) < 2:
        raise LivedanceError(
            f"the data has {len(takes)} take(s); expected at least 2 so one can be held out for validation"
        )
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(len(takes)))
    n_val = max(1, int(round(val_fraction * len(takes))))
    val_takes = {takes[i] for i in order[:n_val]}
    val = [i for i, n in enumerate(dataset.clip_names) if n.split("@")[0] in val_takes]
    train = [i for i in range(dataset.num_clips) if i not in val]
    return train, val


def _strategy(args):
    import tensorflow as tf

    if args.logical_cpus and args.logical_cpus > 1:
        cpus = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(args.logical_cpus)]
        )
    if args.distribute == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if args.distribute == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _callbacks(run: Path, phase: str, patience: int, monitor: str, mode: str):
    import keras

    logs = run / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return [
        # double_checkpoint: a kill mid-save falls back to the previous epoch's backup.
        keras.callbacks.BackupAndRestore(str(run / "backup" / phase), double_checkpoint=True),
        keras.callbacks.ModelCheckpoint(
            str(run / f"{phase}.best.keras"), monitor=monitor, mode=mode, save_best_only=True
        ),
        keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience, restore_best_weights=True),
        keras.callbacks.CSVLogger(str(logs / f"{phase}.csv"), append=True),
        keras.callbacks.TensorBoard(str(logs / "tensorboard" / phase), write_graph=False),
    ]


def _mend_backup(backup: Path, phase: str) -> None:
    """A kill while Keras wrote the backup's metadata (it truncates, then writes) leaves it empty
    or cut short, which BackupAndRestore cannot read: go back to the epoch before (the double
    checkpoint's copy), or, with none, start the phase over."""
    metadata = backup / "training_metadata.json"
    if not metadata.exists() or _json_file(metadata):
        return
    before, weights = Path(f"{metadata}.bkp"), backup / "latest.weights.h5"
    if _json_file(before) and Path(f"{weights}.bkp").is_file():
        shutil.copyfile(f"{weights}.bkp", weights)
        shutil.copyfile(before, metadata)
        print(f"livedance train: {phase} backup cut short by the kill; resuming from the epoch before")
        return
    print(f"livedance train: {phase} backup cut short by the kill; restarting this phase")
    shutil.rmtree(backup)


def _json_file(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def _fit(model, run: Path, phase: str, **kwargs):
    """model.fit that survives a backup left unreadable by a kill while it was being saved."""
    _mend_backup(run / "backup" / phase, phase)
    try:
        model.fit(**kwargs)
    except OSError as exc:
        backup = run / "backup" / phase
        if not backup.exists():
            raise
        print(f"livedance train: {phase} backup unreadable ({exc.__class__.__name__}); restarting this phase")
        shutil.rmtree(backup)
        model.fit(**kwargs)


def _frames_dataset(frames: np.ndarray, batch: int, shuffle: bool, seed: int, max_frames: int | None = None):
    """uint8 dark-on-white frames -> batches of (ink, ink), converted on the fly to save memory."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(frames)
    if shuffle:
        ds = ds.shuffle(min(len(frames), 20000), seed=seed, reshuffle_each_iteration=True)
    if max_frames:
        ds = ds.take(max_frames)

    def to_ink(f):
        ink = 1.0 - tf.cast(f, tf.float32)[..., None] / 255.0
        return ink, ink

    return ds.batch(batch).map(to_ink, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _take_frames(dataset: Dataset, clips: list[int]) -> np.ndarray:
    return np.concatenate([dataset.clip(i) for i in clips]) if clips else dataset.frames[:0]


def train_autoencoder(cfg: RunConfig, dataset: Dataset, split, run: Path, strategy, args) -> None:
    import keras

    train_clips, val_clips = split
    train_frames, val_frames = _take_frames(dataset, train_clips), _take_frames(dataset, val_clips)
    with strategy.scope():
        encoder, decoder, autoencoder = build_autoencoder(cfg.autoencoder)
        loss = "mse" if cfg.autoencoder.arch == "seed" else make_silhouette_loss(cfg.autoencoder.dice_weight)
        autoencoder.compile(
            optimizer=keras.optimizers.Adam(cfg.train.learning_rate), loss=loss, metrics=[silhouette_iou]
        )
    t = cfg.train
    _fit(
        autoencoder,
        run,
        "autoencoder",
        x=_frames_dataset(train_frames, t.batch_ae, True, t.seed, args.max_frames),
        validation_data=_frames_dataset(val_frames, t.batch_ae, False, t.seed),
        epochs=t.epochs_ae,
        callbacks=_callbacks(run, "autoencoder", t.patience, "val_silhouette_iou", "max"),
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0 if args.quiet else 2,
    )
    encoder.save(run / "encoder.keras")
    decoder.save(run / "decoder.keras")


def encode_dataset(run: Path, dataset: Dataset, batch: int = 256) -> np.ndarray:
    import keras

    encoder = keras.models.load_model(run / "encoder.keras", compile=False)
    out = np.empty((len(dataset.frames), encoder.output_shape[-1]), np.float32)
    for a in range(0, len(dataset.frames), batch):
        out[a : a + batch] = encoder(to_ink(dataset.frames[a : a + batch]), training=False).numpy()
    return out


def _windows(latents: np.ndarray, dataset: Dataset, clips: list[int], window: int):
    starts = dataset.window_starts(window + 1, clips)
    idx = starts[:, None] + np.arange(window + 1)[None, :]
    seq = latents[idx]
    return seq[:, :window], seq[:, window]


def train_predictor(cfg: RunConfig, dataset: Dataset, split, run: Path, strategy, args) -> None:
    import keras
    import tensorflow as tf

    latents_path = run / "latents.npz"
    if latents_path.exists():
        with np.load(latents_path) as z:
            latents, mean, std = z["latents"], z["mean"], z["std"]
    else:
        latents = encode_dataset(run, dataset)
        train_rows = np.concatenate([np.arange(dataset.clip_starts[i], dataset.clip_starts[i + 1]) for i in split[0]])
        mean = latents[train_rows].mean(0)
        std = latents[train_rows].std(0) + 1e-6
        np.savez(latents_path, latents=latents, mean=mean, std=std)
    norm = ((latents - mean) / std).astype(np.float32)
    w = cfg.predictor.window
    x_train, y_train = _windows(norm, dataset, split[0], w)
    x_val, y_val = _windows(norm, dataset, split[1], w)
    if len(x_train) == 0 or len(x_val) == 0:
        raise LivedanceError(
            f"clips are too short for windows of {w + 1} frames (train {len(x_train)}, validation {len(x_val)} windows)"
        )
    t = cfg.train
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=t.seed)
        .batch(t.batch_lstm)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(t.batch_lstm)
    with strategy.scope():
        predictor = build_predictor(cfg.predictor, norm.shape[1])
        predictor.compile(optimizer=keras.optimizers.Adam(t.learning_rate), loss="mse")
    _fit(
        predictor,
        run,
        "predictor",
        x=train_ds,
        validation_data=val_ds,
        epochs=t.epochs_lstm,
        callbacks=_callbacks(run, "predictor", t.patience, "val_loss", "min"),
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0 if args.quiet else 2,
    )
    predictor.save(run / "predictor.keras")


def run(args) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out = Path(args.out)
    cfg = _run_config(args)
    if args.resume:
        saved = out / "config.json"
        if not saved.is_file():
            raise LivedanceError(f"{saved}: no run to resume (expected a run folder made by livedance train)")
        previous = RunConfig.from_dict(json.loads(saved.read_text()))
        # The architecture and data of a resumed run are the ones it started with.
        cfg.autoencoder, cfg.predictor, cfg.data = previous.autoencoder, previous.predictor, previous.data
    elif out.exists() and any(out.iterdir()):
        raise LivedanceError(
            f"{out}: run folder exists and is not empty; pass --resume to carry it on, or pick a new --out"
        )

    source, same_data = _reused_run(args.reuse_autoencoder, cfg) if args.reuse_autoencoder else (None, False)
    datasets = [Dataset.load(p) for p in cfg.data]
    dataset = concat(datasets, cfg.data)
    if same_data and source is not None:
        split = _split_by_name(dataset, json.loads((source / "split.json").read_text())["validation"], source)
    else:
        split = split_clips(dataset, cfg.train.val_fraction, cfg.train.seed)
    out.mkdir(parents=True, exist_ok=True)
    if source is not None and not args.resume:
        # Other data: the reused encoder encodes it afresh (latents and their statistics are this run's).
        for name in ("encoder.keras", "decoder.keras") + (("latents.npz",) if same_data else ()):
            shutil.copy2(source / name, out / name)
    cfg_dict = _describe(cfg, dataset, datasets, split)
    (out / "config.json").write_text(json.dumps(cfg_dict, indent=2))
    (out / "split.json").write_text(
        json.dumps(
            {
                "train": [dataset.clip_names[i] for i in split[0]],
                "validation": [dataset.clip_names[i] for i in split[1]],
            },
            indent=2,
        )
    )

    import keras

    keras.utils.set_random_seed(cfg.train.seed)
    strategy = _strategy(args)
    print(
        f"livedance train: {len(dataset.frames)} frames in {dataset.num_clips} clips at {dataset.fps:g} fps; "
        f"{len(split[1])} clips held out; arch {cfg.autoencoder.arch}; {strategy.num_replicas_in_sync} replica(s)"
    )
    if not (out / "decoder.keras").exists():
        train_autoencoder(cfg, dataset, split, out, strategy, args)
    else:
        print("livedance train: autoencoder already trained, skipping to the LSTM")
    if not (out / "predictor.keras").exists():
        train_predictor(cfg, dataset, split, out, strategy, args)
    print(f"livedance train: done; export with `livedance export {out} --out models/NAME`")
    return 0


def _reused_run(path: str, cfg: RunConfig) -> tuple[Path, bool]:
    """A finished run whose autoencoder a new LSTM will build on, and whether the data is the
    same (then its latents and split are reused too)."""
    source = Path(path)
    for name in ("config.json", "split.json", "encoder.keras", "decoder.keras", "latents.npz"):
        if not (source / name).is_file():
            raise LivedanceError(f"{source / name}: missing; expected a run whose autoencoder has finished training")
    previous = RunConfig.from_dict(json.loads((source / "config.json").read_text()))
    cfg.autoencoder = previous.autoencoder
    if sorted(previous.data) != sorted(cfg.data):
        return source, False
    cfg.data = previous.data  # same order, so the saved latents line up with the frames
    return source, True


def _split_by_name(dataset: Dataset, validation: list[str], source: Path) -> tuple[list[int], list[int]]:
    val = [i for i, name in enumerate(dataset.clip_names) if name in set(validation)]
    if not val:
        raise LivedanceError(f"{source / 'split.json'}: none of its validation clips is in the data")
    return [i for i in range(dataset.num_clips) if i not in val], val


def _describe(cfg: RunConfig, dataset: Dataset, datasets: list[Dataset], split) -> dict:
    d = to_dict(cfg)
    d["fps"] = dataset.fps
    d["sources"] = [
        {"path": p, "hash": ds.content_hash(), "frames": len(ds.frames), "clips": ds.num_clips, "meta": ds.meta}
        for p, ds in zip(cfg.data, datasets)
    ]
    d["validation_clips"] = [dataset.clip_names[i] for i in split[1]]
    return d
