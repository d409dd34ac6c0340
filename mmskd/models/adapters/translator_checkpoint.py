# Copyright (c) mmskd contributors. All rights reserved.
"""The contract between the two phases of knowledge adaptation.

Phase 1 (``KnowledgeTranslatorPretrain``) writes an ordinary mmengine
checkpoint of its whole model. Phase 2 (``KnowledgeAdaptationDistill``)
needs two things from it:

- the encoder's weights, the tensors under ``translator.encoder.``;
- the identity of the teacher the translator was trained on, which the
  translator saves as its extra state (``translator._extra_state``): the
  recorded feature, its channel count, a digest of the teacher's layers
  (names and shapes) and one of its weights. It is stored as the UTF-8
  bytes of its JSON in a uint8 tensor (:func:`encode_identity`): mmengine's
  Runner broadcasts every state-dict value from rank 0 before distributed
  training, and its ``broadcast`` takes tensors only. Checkpoints written
  before hold the plain dict, which :func:`decode_identity` still reads.

Phase 2 computes the same identity for its own teacher and refuses a
translator whose identity differs, since an encoder trained on another
teacher's features silently turns the adaptation loss into noise. The
weights digest exists only when the teacher was loaded from
``teacher_ckpt``; it hashes each tensor's first elements, which tells two
trained checkpoints apart and does not depend on the file's path, so a
local copy of the model-zoo file matches its URL.
"""
import hashlib
import json
import os.path as osp
from typing import Dict, NamedTuple, Optional, Union

import torch
from torch import Tensor, nn

FORMAT = 'mmskd.KnowledgeTranslator/1'
ENCODER_PREFIX = 'translator.encoder.'
EXTRA_STATE_KEY = 'translator._extra_state'
# Elements per tensor that enter the weights digest.
DIGEST_ELEMENTS = 1024


def _architecture_digest(teacher: nn.Module) -> str:
    """A digest of the teacher's tensor names and shapes."""
    digest = hashlib.sha256()
    for key, value in sorted(teacher.state_dict().items()):
        digest.update(f'{key}:{tuple(value.shape)};'.encode())
    return digest.hexdigest()


def _weights_digest(teacher: nn.Module) -> str:
    """A digest of the first elements of every teacher tensor.

    The values go through float64, which holds every float32, float16 and
    small integer exactly, so the digest is the same on any device.
    """
    digest = hashlib.sha256()
    for key, value in sorted(teacher.state_dict().items()):
        head = value.detach().reshape(-1)[:DIGEST_ELEMENTS]
        digest.update(key.encode())
        digest.update(head.to('cpu', torch.float64).numpy().tobytes())
    return digest.hexdigest()


def teacher_identity(teacher: nn.Module, feature_source: str, channels: int,
                     teacher_ckpt: Optional[str]) -> Dict:
    """What identifies the teacher features a translator encodes.

    Args:
        teacher (nn.Module): The teacher, with its weights loaded.
        feature_source (str): The recorded module, e.g.
            ``'decode_head.bottleneck'``.
        channels (int): The recorded feature's channels.
        teacher_ckpt (str, optional): Where the teacher's weights came from;
            None for a teacher without loaded weights (then no weights
            digest is taken).

    Returns:
        dict: Plain values only (strings, an int, None), so that the
        checkpoint still loads with ``torch.load(weights_only=True)``.
    """
    return dict(
        format=FORMAT,
        feature_source=feature_source,
        channels=int(channels),
        architecture=_architecture_digest(teacher),
        weights=_weights_digest(teacher) if teacher_ckpt else None,
        teacher_ckpt=teacher_ckpt)


def encode_identity(identity: Dict) -> Tensor:
    """The identity as a uint8 tensor of its JSON (see the module notes).

    Args:
        identity (dict): What :func:`teacher_identity` returns.

    Returns:
        Tensor: 1-D uint8, the same on every rank for the same teacher.
    """
    data = json.dumps(identity, sort_keys=True).encode('utf-8')
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone()


def decode_identity(state: Union[Tensor, Dict, None]) -> Dict:
    """The identity saved by :func:`encode_identity` (or, in checkpoints
    written before it, as a plain dict).

    Args:
        state (Tensor | dict | None): A translator's extra state.

    Returns:
        dict: The identity; empty for None or an empty tensor.
    """
    if state is None:
        return {}
    if isinstance(state, Tensor):
        data = bytes(state.to('cpu', torch.uint8).tolist())
        return json.loads(data.decode('utf-8')) if data else {}
    return dict(state)


class PhaseOneTranslator(NamedTuple):
    """What phase 2 takes from a phase-1 checkpoint.

    Attributes:
        path (str): The checkpoint file.
        identity (dict): The teacher the translator was trained on.
        encoder_state (dict): The encoder's tensors, named as in
            ``TranslatorEncoder`` (``encoder.0.conv.weight``, ...).
    """
    path: str
    identity: Dict
    encoder_state: Dict[str, Tensor]


def read_translator_checkpoint(path: str) -> PhaseOneTranslator:
    """Read the encoder and its teacher identity from a phase-1 checkpoint.

    The file is unpickled with ``weights_only=False`` (an mmengine
    checkpoint holds its message hub), so read only files you trust, as for
    ``--resume``.

    Args:
        path (str): The phase-1 checkpoint, e.g.
            ``work_dirs/ka_translator_.../epoch_1.pth``.

    Returns:
        PhaseOneTranslator: The identity and encoder weights.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not a phase-1 checkpoint of this format.
    """
    if not osp.isfile(osp.expanduser(path)):
        raise FileNotFoundError(
            f'The knowledge-translator checkpoint {path!r} does not exist. '
            'Train phase 1 first: `python tools/train.py '
            'configs/ka/ka_translator_<teacher>_<dataset>.py` writes '
            'work_dirs/<that config>/epoch_1.pth; or point phase 2 at '
            'another run with `--cfg-options model.translator_ckpt=PATH`.')
    checkpoint = torch.load(
        osp.expanduser(path), map_location='cpu', weights_only=False)
    state_dict = checkpoint.get('state_dict', checkpoint)
    identity = _readable_identity(state_dict.get(EXTRA_STATE_KEY))
    encoder_state = {
        key[len('translator.'):]: value
        for key, value in state_dict.items() if key.startswith(ENCODER_PREFIX)
    }
    if not encoder_state or not isinstance(identity, dict) or \
            identity.get('format') != FORMAT:
        raise ValueError(
            f'{path!r} is not a phase-1 checkpoint of knowledge adaptation: '
            f'it needs the tensors {ENCODER_PREFIX}* and the teacher record '
            f'{EXTRA_STATE_KEY} (format {FORMAT!r}) that a '
            'KnowledgeTranslatorPretrain run saves. Point translator_ckpt '
            'at such a run\'s epoch_1.pth.')
    return PhaseOneTranslator(path, identity, encoder_state)


def _readable_identity(state) -> Optional[Dict]:
    """The saved identity, or None where it cannot be decoded."""
    try:
        return decode_identity(state)
    except (TypeError, ValueError):  # not JSON bytes, not a mapping
        return None


def check_same_teacher(trained_on: Dict, this_run: Dict, path: str) -> None:
    """Refuse a translator that was trained on another teacher's features.

    Args:
        trained_on (dict): The identity in the phase-1 checkpoint.
        this_run (dict): :func:`teacher_identity` of this run's teacher.
        path (str): The phase-1 checkpoint, for the message.

    Raises:
        ValueError: Naming every difference and the fix.
    """
    reasons = []
    if trained_on['feature_source'] != this_run['feature_source']:
        reasons.append(
            f'phase 1 encoded the teacher\'s {trained_on["feature_source"]!r}'
            f', this run feeds the translator {this_run["feature_source"]!r}')
    if trained_on['architecture'] != this_run['architecture']:
        reasons.append('the teacher models differ (other layers or widths)')
    elif trained_on['weights'] != this_run['weights']:
        reasons.append('the teacher weights differ (phase 1 loaded them from '
                       f'{trained_on["teacher_ckpt"]!r}, this run from '
                       f'{this_run["teacher_ckpt"]!r})')
    if reasons:
        raise ValueError(
            f'The translator in {path!r} was trained on another teacher: '
            f'{"; ".join(reasons)}. Run phase 1 with this teacher, or set '
            'translator_ckpt to the phase-1 checkpoint of this teacher.')
