# Copyright (c) mmskd contributors. All rights reserved.
"""Run a trained distillation pair (or a plain segmentor) on single images.

:func:`init_model` builds a model from a config and a checkpoint (a distill
config's checkpoint holds student, teacher, connectors and discriminator);
:func:`run_pair` runs teacher and student of a segmentation distill model on
one image and returns what the visualiser draws: both test-time predictions,
the maps every distillation term compares (recorded by the distiller's own
recorders, connectors applied, as in training) and the discriminator's
scores of both score maps (a :class:`~mmskd.visualization.PairRecord`,
which ``mmskd.visualization`` draws).
"""
import copy
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Union

import mmcv
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, init_default_scope
from torch import Tensor, nn

from mmskd.models.teachers import TeacherEnsemble, ensemble_members
from mmskd.models.utils import model_family, unwrap
from mmskd.models.utils.checkpoint import (check_model_checkpoint,
                                           read_model_checkpoint,
                                           teacher_weights_from_checkpoint)
from mmskd.models.utils.checkpoint_fit import checkpoint_state_dict
from mmskd.models.utils.remote_checkpoints import naming_config_keys
from mmskd.utils import allow_mmengine_checkpoints
from mmskd.visualization import PairRecord, TermMaps

SEGMENTOR = 'mmseg segmentor'


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a model from its config and load its checkpoint.

    Works for a distill config (the checkpoint restores the teacher too,
    so ``teacher_ckpt`` is not read) and for a plain segmentor config. A
    checkpoint that does not hold exactly the config's model is refused
    (see :func:`~mmskd.models.utils.checkpoint.check_model_checkpoint`).
    Like ``tools/train.py`` and ``tools/test.py``, it lets torch >= 2.6
    load mmengine's training checkpoints, which hold its message hub
    (:func:`~mmskd.utils.allow_mmengine_checkpoints`).

    Args:
        config (str | Config): The config or its path.
        checkpoint (str, optional): The checkpoint to load; without one, a
            distill model's teacher has no trained weights either.
        device (str): Where the model runs. Defaults to ``'cpu'``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` (the config),
        ``dataset_meta`` and ``checkpoint_meta`` (the checkpoint's ``meta``,
        e.g. its ``iter``; empty without a checkpoint).

    Raises:
        ValueError: If the checkpoint does not fit the config's model.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else \
        copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    loaded = {}
    restoring = nullcontext()
    if checkpoint is not None:
        allow_mmengine_checkpoints()
        loaded = read_model_checkpoint(checkpoint)
        restoring = teacher_weights_from_checkpoint()
    elif 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
        for teacher in ensemble_members(cfg.model.teacher).values():
            teacher.ckpt = None
    with naming_config_keys(cfg), restoring:
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if checkpoint is not None:
        name = config if isinstance(config, str) else 'the config'
        check_model_checkpoint(model, loaded, checkpoint, name)
        # The fit is checked: strict loading would also refuse a missing
        # BatchNorm counter.
        model.load_state_dict(checkpoint_state_dict(loaded), strict=False)
    model.cfg = cfg
    model.checkpoint_meta = loaded.get('meta', {})
    model.dataset_meta = model.checkpoint_meta.get('dataset_meta')
    return model.to(device).eval()


def test_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline without its annotation loading.

    Args:
        cfg (Config): The model's config.

    Returns:
        Compose: Transforms from an ``img_path`` to packed inputs.
    """
    pipeline = [
        transform for transform in cfg.test_dataloader.dataset.pipeline
        if transform['type'] != 'LoadAnnotations'
    ]
    return Compose(pipeline)


def preprocess(model: nn.Module, pipeline: Compose, image: str) -> dict:
    """One image through the test pipeline and the model's preprocessor.

    Args:
        model (nn.Module): A segmentor or a distill algorithm.
        pipeline (Compose): From :func:`test_pipeline`.
        image (str): Path of the image.

    Returns:
        dict: ``inputs`` (1, 3, H, W) and ``data_samples`` (one).
    """
    packed = pipeline(dict(img_path=image))
    batch = dict(
        inputs=[packed['inputs']], data_samples=[packed['data_samples']])
    return model.data_preprocessor(batch, False)


@torch.no_grad()
def predict_labels(segmentor: nn.Module, data: dict) -> Tensor:
    """A segmentor's test-time labels (its own ``test_cfg``: whole or
    sliding-window inference, resized back to the image).

    Args:
        segmentor (nn.Module): An mmseg segmentor.
        data (dict): From :func:`preprocess`.

    Returns:
        Tensor: Labels, (H, W) at the original image size.
    """
    samples = copy.deepcopy(data['data_samples'])
    result = segmentor.predict(data['inputs'], samples)[0]
    return result.pred_sem_seg.data[0].cpu()


def predict_images(model: nn.Module, images: Sequence[str]) -> List[Tensor]:
    """Test-time labels of a segmentor on images (of a distill model: its
    student's).

    Args:
        model (nn.Module): From :func:`init_model`.
        images (Sequence[str]): Image paths.

    Returns:
        list[Tensor]: One (H, W) label map per image.
    """
    _refuse_input_scales(model)
    pipeline = test_pipeline(model.cfg)
    segmentor = model.student if hasattr(model, 'distiller') else model
    return [
        predict_labels(segmentor, preprocess(model, pipeline, image))
        for image in images
    ]


def _refuse_input_scales(model: nn.Module) -> None:
    """Refuse a distill model whose networks run at their own resolutions.

    These single-image paths run the student and the teacher on the image
    as it is; showing them at other sizes would misrepresent the run.
    """
    scales = getattr(model, 'input_scales', None)
    if scales is not None and not all(
            scales.is_identity(role) for role in ('student', 'teacher')):
        raise NotImplementedError(
            'This config runs its networks at their own resolutions '
            '(model.input_scales), which the single-image visualisation does '
            'not reproduce yet; evaluate it with tools/test.py, or '
            'visualise with --cfg-options model.input_scales=None to see '
            'both networks at the image\'s size.')


def recorded_terms(model: nn.Module) -> Dict[str, TermMaps]:
    """The maps each distillation term compared in the last forward.

    Args:
        model (nn.Module): A distill algorithm right after its teacher and
            student ran under their recorders.

    Returns:
        dict: Term name -> :class:`TermMaps` (first sample), for the terms
        fed ``preds_S``/``preds_T``.
    """
    distiller = unwrap(model.distiller)
    terms = {}
    for name, mapping in distiller.loss_forward_mappings.items():
        if not {'preds_S', 'preds_T'} <= set(mapping):
            continue  # a term fed by other inputs (e.g. labels)
        maps = [
            distiller.get_record(**mapping[key])
            for key in ('preds_S', 'preds_T')
        ]
        terms[name] = TermMaps(distiller.distill_losses[name],
                               maps[0][0].detach(), maps[1][0].detach())
    return terms


def critic_scores(model: nn.Module,
                  inputs: Tensor) -> Optional[Dict[str, float]]:
    """The discriminator's D(Q | I) of the teacher's and student's maps.

    The discriminator runs in eval mode, so an input BatchNorm uses its
    running statistics (in training it normalises each batch by its own).

    Args:
        model (nn.Module): A distill algorithm after a recorded forward.
        inputs (Tensor): The preprocessed image, (1, 3, H, W).

    Returns:
        dict, optional: ``teacher`` and ``student`` scores, or None for a
        model without a discriminator.
    """
    disc = getattr(model, 'discriminator', None)
    if disc is None:
        return None
    disc = unwrap(disc)
    distiller = unwrap(model.distiller)
    index = model.record_indices[0]
    image = inputs.float() if disc.condition_on_image else None
    scores = {}
    for role, recorder, from_student in (('teacher', model.teacher_recorder,
                                          False),
                                         ('student', model.student_recorder,
                                          True)):
        score_map = distiller.get_record(recorder, from_student, index)
        scores[role] = float(disc(score_map.float(), image)[0])
    return scores


@torch.no_grad()
def run_pair(model: nn.Module, pipeline: Compose, image: str) -> PairRecord:
    """Teacher and student of a segmentation distill model on one image.

    Each model runs twice: at test time (its ``predict``, for the labels)
    and in ``mode='tensor'`` under the distiller's recorders (for the maps
    the terms compare, as in a training step but on the whole image).

    Args:
        model (nn.Module): From :func:`init_model` on a distill config.
        pipeline (Compose): From :func:`test_pipeline`.
        image (str): Path of the image.

    Returns:
        PairRecord: Predictions, term maps and critic scores.

    Raises:
        TypeError: For a model that is not a segmentation distill model.
    """
    if not hasattr(model, 'distiller') or \
            model_family(model.student) != SEGMENTOR:
        raise TypeError(
            f'run_pair visualises segmentation distill models (mmseg '
            f'students and teachers), got {type(model).__name__}.')
    _refuse_input_scales(model)
    if isinstance(model.teacher, TeacherEnsemble):
        raise NotImplementedError(
            'run_pair draws one teacher against the student; this config '
            'has several (a TeacherEnsemble). Draw each pair with a config '
            'of that teacher alone.')
    data = preprocess(model, pipeline, image)
    inputs, samples = data['inputs'], data['data_samples']
    teacher_pred = predict_labels(model.teacher, data)
    student_pred = predict_labels(model.student, data)
    distiller = unwrap(model.distiller)
    model.run_teacher(inputs, samples)
    with distiller.student_recorders:
        model.student(inputs, samples, mode='tensor')
    return PairRecord(
        image=mmcv.imread(image, channel_order='rgb'),
        teacher_pred=teacher_pred,
        student_pred=student_pred,
        terms=recorded_terms(model),
        critic_scores=critic_scores(model, inputs))
