# Copyright (c) mmskd contributors. All rights reserved.
"""Phase 2 of knowledge adaptation: distil the translated teacher into the
student through adapters."""
import copy
from typing import Dict

from mmskd.registry import MODELS
from ..adapters import (TranslatorEncoder, check_same_teacher,
                        read_translator_checkpoint, teacher_identity)
from ..distillers import recorded_channels
from ..utils import unwrap
from ..utils.checkpoint import teacher_restored_later
from .structured_distill import StructuredDistill


def _check_translator_connector(distiller: dict, connector: str) -> None:
    """Refuse a ``translator_connector`` the distiller has no connector of.

    Args:
        distiller (dict): The distiller config.
        connector (str): The translator's name in ``connectors``.

    Raises:
        ValueError: Naming the connectors there are and the one to add.
    """
    connectors = distiller.get('connectors') or {}
    if connector not in connectors:
        raise ValueError(
            f'translator_connector is {connector!r}, but the distiller has '
            f'the connectors {sorted(connectors)}; add '
            f"connectors=dict({connector}=dict(type='TranslatorEncoder')) "
            'and read the teacher feature through it.')


def _translator_recorder(distiller: dict, connector: str) -> str:
    """The one teacher recorder that the translator connector encodes.

    Args:
        distiller (dict): The distiller config.
        connector (str): The translator's name in ``connectors``.

    Returns:
        str: The teacher recorder's name.

    Raises:
        ValueError: If no loss reads the connector, a student-side mapping
            does, or mappings feed it from different recorders.
    """
    sides = [
        spec
        for mapping in (distiller.get('loss_forward_mappings') or {}).values()
        for spec in mapping.values()
        if isinstance(spec, dict) and spec.get('connector') == connector
    ]
    recorders = {spec.get('recorder') for spec in sides}
    if not sides or any(spec.get('from_student') for spec in sides) or \
            len(recorders) != 1:
        raise ValueError(
            f'The translator connector {connector!r} must encode one teacher '
            'recorder: name it as `connector` of teacher-side '
            '(from_student=False) loss_forward_mappings that all read the '
            f'same recorder (got {sides}).')
    return recorders.pop()


@MODELS.register_module()
class KnowledgeAdaptationDistill(StructuredDistill):
    """Knowledge adaptation (He et al., CVPR 2019), phase 2.

    Algorithm 1, step 3: the student (with its adapters, the distiller's
    connectors) trains on its task loss plus the distiller's losses, which
    compare the adapted student features with E(φ_t), the code of the
    phase-1 translator's frozen encoder. That encoder is the distiller
    connector named ``translator_connector`` (a ``TranslatorEncoder``
    applied to the teacher's recorded feature); this class fills in its
    width and loads its weights from ``translator_ckpt``, after checking
    that the checkpoint's translator was trained on this teacher's feature
    (``mmskd.models.adapters.translator_checkpoint``).

    The teacher and the encoder stay frozen. The adapters are trained with
    the student by the student's optimizer and, like every connector, are
    left out of the student that
    ``tools/model_converters/convert_to_student.py`` exports.

    Args:
        architecture (dict | BaseModel): The student.
        teacher (dict | BaseModel): The teacher (the one of phase 1).
        distiller (dict): The distiller, with a ``TranslatorEncoder``
            connector named ``translator_connector``.
        translator_ckpt (str): The phase-1 checkpoint.
        translator_connector (str): The connector that holds the encoder.
            Defaults to ``'translator'``.
        **kwargs: The arguments of :class:`StructuredDistill`.

    Built to load a checkpoint of this algorithm (``tools/test.py``,
    ``visualize_distill.py``: ``teacher_weights_from_checkpoint``), it reads
    the encoder's width off the teacher's recorded feature and neither
    reads ``translator_ckpt`` nor checks its teacher: the checkpoint holds
    both.

    Raises:
        FileNotFoundError: If ``translator_ckpt`` does not exist.
        ValueError: If it is not a phase-1 checkpoint, or its translator
            was trained on another teacher or another recorded feature.
    """

    # The translator is tied to one teacher's identity and feature.
    supports_teacher_ensemble = False

    def __init__(self,
                 architecture,
                 teacher,
                 distiller: dict,
                 translator_ckpt: str,
                 translator_connector: str = 'translator',
                 **kwargs) -> None:
        _check_translator_connector(distiller, translator_connector)
        recorder_name = _translator_recorder(distiller, translator_connector)
        recorder = distiller['teacher_recorders'][recorder_name]
        restored_later = teacher_restored_later()
        if restored_later:
            # tools/test.py: the checkpoint to be loaded holds the encoder,
            # so the phase-1 file is not needed; its width is the recorded
            # teacher feature's.
            teacher = MODELS.build(teacher)
            channels = recorded_channels(recorder, teacher)
        if not restored_later or channels is None:
            phase_one = read_translator_checkpoint(translator_ckpt)
            channels = phase_one.identity['channels']
        distiller = self._with_translator_width(distiller,
                                                translator_connector, channels)
        super().__init__(architecture, teacher, distiller, **kwargs)
        encoder = unwrap(self.distiller).connectors[translator_connector]
        if not isinstance(encoder, TranslatorEncoder):
            raise TypeError(
                f'connectors[{translator_connector!r}] is a '
                f'{type(encoder).__name__}; the translator connector must be '
                "dict(type='TranslatorEncoder').")
        if not restored_later:
            this_run = teacher_identity(self.teacher, recorder.get('source'),
                                        channels, self.teacher_ckpt)
            check_same_teacher(phase_one.identity, this_run, translator_ckpt)
            encoder.load_state_dict(phase_one.encoder_state)
            # Keep ``init_weights`` from overwriting the loaded encoder.
            encoder._is_init = True
        self.translator_ckpt = translator_ckpt
        self.translator_connector = translator_connector

    @staticmethod
    def _with_translator_width(distiller: dict, connector: str,
                               channels: int) -> Dict:
        """The distiller config with the translator's width filled in.

        Its output width would otherwise be inferred from the student side
        of the same loss, but the translator keeps the teacher's width.
        """
        distiller = copy.deepcopy(dict(distiller))
        connectors = distiller['connectors']
        connectors[connector] = dict(
            connectors[connector], in_channel=channels, out_channel=channels)
        return distiller
