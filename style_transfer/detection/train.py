"""Training SSD300 on a VOC-format data set: ImageNet VGG16 start, compiled train step, checkpoints, resume."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from style_transfer._models import SSD300
from style_transfer._models.multibox_loss import multibox_loss
from style_transfer._models.ssd300 import INPUT_SIZE, VOC_CLASSES
from style_transfer._models.checkpoint import CAFFE
from style_transfer.nst.network import init_vgg16_from_imagenet
from style_transfer.detection import checkpoint as ckpt
from style_transfer.detection.augment import training_dataset
from style_transfer.detection.voc import load_voc
from style_transfer.errors import NonFiniteLossError, UserInputError


@dataclass
class TrainConfig:
    """What `train-ssd` does. steps_per_epoch None: one pass over the split's images."""

    voc_root: str
    output: str
    classes: tuple = VOC_CLASSES
    epochs: int = 10
    batch_size: int = 8
    steps_per_epoch: int | None = None
    lr: float = 1e-3
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4
    split: str = "train"
    augment: bool = True
    checkpoint_every: int | None = None  # steps; a checkpoint is also written after every epoch
    resume: str | None = None
    seed: int = 0
    freeze_stages: int = 0  # VGG16 stages (1–5) kept at their initial weights


@dataclass
class TrainResult:
    """Losses per step (total, classification, localisation), counts and timing of a run."""

    output: Path
    losses: list = field(default_factory=list)
    cls_losses: list = field(default_factory=list)
    loc_losses: list = field(default_factory=list)
    steps: int = 0
    epochs: int = 0
    images: int = 0
    skipped: int = 0
    seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def make_optimizer(name: str, lr: float, momentum: float = 0.9, weight_decay: float = 5e-4):
    """SGD with momentum and weight decay (the paper's) or Adam."""
    if name == "sgd":
        return keras.optimizers.SGD(lr, momentum=momentum, weight_decay=weight_decay or None, global_clipnorm=10.0)
    if name == "adam":
        return keras.optimizers.Adam(lr, weight_decay=weight_decay or None, global_clipnorm=10.0)
    raise UserInputError(f"unknown optimizer '{name}' (sgd or adam)")


def make_train_step(ssd, optimizer, preprocessing=CAFFE):
    """A compiled step: (images 0–255 RGB, labels, offsets) → (loss, classification, localisation)."""
    variables = ssd.trainable_variables

    @tf.function
    def step(images, labels, offsets):
        with tf.GradientTape() as tape:
            out = ssd(preprocessing.apply(images), training=True)
            loss, cls, loc = multibox_loss(out["class_logits"], out["box_offsets"], labels, offsets)
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return loss, cls, loc

    return step


def freeze_vgg16_stages(ssd, stages: int) -> None:
    """Keep the first `stages` VGG16 stages (conv1_x … conv{stages}_x) fixed: cheaper steps on small data."""
    if not 0 <= stages <= 5:
        raise UserInputError(f"can freeze 0 to 5 VGG16 stages, not {stages}")
    for layer in ssd.vgg16_layers():
        stage = int(layer.name[4]) if layer.name.startswith("conv") else 0
        if stage and stage <= stages:
            layer.trainable = False


def build_model(classes, resume=None, seed: int = 0):
    """SSD300 for `classes`: from a checkpoint to resume, else heads random and VGG16 from ImageNet."""
    if resume:
        ssd, prep, meta, _ = ckpt.load_detector(resume, classes)
        return ssd, prep, meta
    keras.utils.set_random_seed(seed)
    ssd = SSD300(class_names=classes)
    init_vgg16_from_imagenet(ssd.vgg16_layers())
    return ssd, CAFFE, {}


def train_ssd(config: TrainConfig, progress: bool = True, log=None) -> TrainResult:
    """Train SSD300 as `config` says, writing checkpoints to config.output; returns the losses."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    for name in ("lr", "momentum", "weight_decay"):
        value = getattr(config, name)
        if not (math.isfinite(value) and value >= 0):  # a NaN here would silently train NaN weights
            raise UserInputError(f"{name.replace('_', ' ')} must be a finite number ≥ 0, got {value}")
    warn = (lambda msg: tqdm.write(f"style-transfer: warning: {msg}", file=sys.stderr))
    data = load_voc(config.voc_root, config.split, config.classes, strict=False, warn=warn)
    steps_per_epoch = config.steps_per_epoch or max(1, math.ceil(len(data) / config.batch_size))
    ssd, prep, meta = build_model(config.classes, config.resume, config.seed)
    freeze_vgg16_stages(ssd, config.freeze_stages)
    optimizer = make_optimizer(config.optimizer, config.lr, config.momentum, config.weight_decay)
    start_epoch, start_step, global_step = 0, 0, 0
    if config.resume:
        if meta.get("optimizer", {}).get("name", config.optimizer) != config.optimizer:
            raise UserInputError(f"{config.resume} was trained with {meta['optimizer']['name']}, "
                                 f"not {config.optimizer}")
        if not ckpt.restore_optimizer(optimizer, ssd.trainable_variables, config.resume):
            warn(f"no {ckpt.optimizer_path(config.resume).name} beside {config.resume}: "
                 "the optimiser starts afresh")
        start_epoch, start_step = int(meta.get("epoch", 0)), int(meta.get("epoch_step", 0))
        global_step = int(meta.get("step", 0))
        if start_step >= steps_per_epoch:
            start_epoch, start_step = start_epoch + 1, 0
        if start_epoch >= config.epochs:
            raise UserInputError(f"{config.resume} has already done {start_epoch} epochs; ask for more with --epochs")
    tf.random.set_seed(config.seed + global_step)
    ds = training_dataset(data.samples, config.batch_size, augment_data=config.augment, seed=config.seed + global_step)
    batches = iter(ds)
    step = make_train_step(ssd, optimizer, prep)
    result = TrainResult(Path(config.output), skipped=len(data.skipped))
    settings = {k: v for k, v in asdict(config).items() if k not in ("output", "resume", "classes")}

    def kept() -> str:
        return (f"the last good checkpoint {config.output} is kept" if Path(config.output).exists()
                else "no checkpoint was written")

    def finite_state() -> bool:
        arrays = [np.asarray(v) for v in list(ssd.weights) + list(optimizer.variables)]
        return all(np.isfinite(a).all() for a in arrays if np.issubdtype(a.dtype, np.floating))

    def save(epoch_done: int, epoch_step: int) -> None:
        if not finite_state():  # a finite loss can still come with a step that made the weights NaN
            raise NonFiniteLossError(f"the weights became NaN or infinite by step {global_step}; {kept()} "
                                     "(try a lower --lr or --weight-decay)")
        extra = {"epoch": epoch_done, "epoch_step": epoch_step, "step": global_step,
                 "input": {"size": [INPUT_SIZE, INPUT_SIZE], "color": "RGB 0-255, resized without keeping "
                                                                         "the aspect ratio, then preprocessing"},
                 "optimizer": {"name": config.optimizer, "lr": config.lr}, "training": settings,
                 "last_loss": result.losses[-1] if result.losses else None,
                 "num_train_images": len(data)}
        ckpt.save_checkpoint(ssd, config.output, extra, optimizer, prep)

    log(f"training SSD300 on {len(data)} images ({data.num_objects} objects, {len(config.classes)} classes) "
        f"from {data.root}, split '{data.split}'; {steps_per_epoch} steps/epoch of {config.batch_size}")
    started = time.perf_counter()
    pending = []

    def flush():
        for loss, cls, loc in pending:
            values = (float(loss), float(cls), float(loc))
            if not all(math.isfinite(v) for v in values):
                raise NonFiniteLossError(f"training loss became {values[0]} at step {global_step}; {kept()} "
                                         "(try a lower --lr)")
            result.losses.append(values[0])
            result.cls_losses.append(values[1])
            result.loc_losses.append(values[2])
        pending.clear()

    for epoch in range(start_epoch, config.epochs):
        first = start_step if epoch == start_epoch else 0
        bar = tqdm(range(first, steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", unit="step",
                   disable=not progress, file=sys.stderr, initial=first, total=steps_per_epoch)
        for i in bar:
            images, labels, offsets = next(batches)
            pending.append(step(images, labels, offsets))
            global_step += 1
            result.steps += 1
            result.images += int(images.shape[0])
            if len(pending) >= 5 or i == steps_per_epoch - 1:
                flush()
                bar.set_postfix(loss=f"{result.losses[-1]:.3f}", cls=f"{result.cls_losses[-1]:.3f}",
                                loc=f"{result.loc_losses[-1]:.3f}")
            if config.checkpoint_every and global_step % config.checkpoint_every == 0 and i < steps_per_epoch - 1:
                flush()
                save(epoch, i + 1)
        bar.close()
        flush()
        result.epochs += 1
        save(epoch + 1, 0)
    result.seconds = time.perf_counter() - started
    if data.skipped:
        log(f"style-transfer: warning: skipped {len(data.skipped)} bad sample(s) of {len(data) + len(data.skipped)}")
    return result
