# Copyright (c) mmskd contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401  (registers the mmskd modules)
from mmskd.models.discriminators import HolisticDiscriminator
from mmskd.models.layers import SAGANSelfAttention
from mmskd.registry import MODELS

NUM_CLASSES = 19


def _inputs(h, w, n=2, c=NUM_CLASSES, img_scale=8):
    torch.manual_seed(0)
    score_map = torch.randn(n, c, h, w)
    image = torch.randn(n, 3, h * img_scale, w * img_scale)
    return score_map, image


@pytest.mark.parametrize('size', [(1, 1), (9, 17), (33, 65), (64, 128)])
def test_output_shape_any_size(size):
    critic = HolisticDiscriminator(NUM_CLASSES)
    score_map, image = _inputs(*size)
    out = critic(score_map, image)
    assert out.shape == (2, )
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    'cfg',
    [
        dict(),  # A2L4, conditional (the paper)
        dict(attention_after=()),  # A0L4
        dict(num_blocks=2, attention_after=(1, 2)),  # A2L2
        dict(num_blocks=3, attention_after=(2, 3)),  # A2L3
        dict(spectral_norm=False),
        dict(condition_on_image=False),  # the official code's critic
        dict(condition_on_image=True, input_norm=False),
    ])
@pytest.mark.parametrize('size', [(1, 1), (9, 17), (33, 65), (64, 128)])
def test_ablation_settings(cfg, size):
    # Narrow blocks keep the 28 cases fast; the layout is what is tested.
    critic = HolisticDiscriminator(NUM_CLASSES, base_channels=16, **cfg)
    score_map, image = _inputs(*size)
    out = critic(score_map, image)
    assert out.shape == (2, )
    assert torch.isfinite(out).all()
    # Gradients reach the score map, which is what the student needs.
    score_map.requires_grad_(True)
    critic(score_map, image).sum().backward()
    assert score_map.grad is not None
    assert torch.isfinite(score_map.grad).all()


def test_architecture_a2l4():
    critic = HolisticDiscriminator(NUM_CLASSES)
    assert critic.input_bn.num_features == NUM_CLASSES + 3
    assert [b.conv.out_channels for b in critic.blocks] == [64, 128, 256, 512]
    for block in critic.blocks:
        assert block.conv.kernel_size == (4, 4)
        assert block.conv.stride == (2, 2)
        assert block.conv.padding == (1, 1)
    assert set(critic.attentions.keys()) == {'3', '4'}
    assert all(
        isinstance(a, SAGANSelfAttention) for a in critic.attentions.values())
    assert critic.attentions['3'].in_channels == 256
    assert critic.attentions['4'].in_channels == 512
    assert critic.final_conv.out_channels == 1
    # Spectral norm on the blocks (reparametrised weight_orig).
    assert hasattr(critic.blocks[0].conv, 'weight_orig')
    act = critic.blocks[0].activate
    assert isinstance(act, torch.nn.LeakyReLU) and act.negative_slope == 0.1


def test_architecture_ablations():
    a0l4 = HolisticDiscriminator(NUM_CLASSES, attention_after=())
    assert len(a0l4.attentions) == 0 and len(a0l4.blocks) == 4
    a2l2 = HolisticDiscriminator(
        NUM_CLASSES, num_blocks=2, attention_after=(1, 2))
    assert [b.conv.out_channels for b in a2l2.blocks] == [64, 128]
    assert set(a2l2.attentions.keys()) == {'1', '2'}
    plain = HolisticDiscriminator(NUM_CLASSES, spectral_norm=False)
    assert not hasattr(plain.blocks[0].conv, 'weight_orig')
    assert not hasattr(plain.attentions['3'].query.conv, 'weight_orig')
    official = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False, input_norm=True)
    assert official.input_bn.num_features == NUM_CLASSES
    assert official.blocks[0].conv.in_channels == NUM_CLASSES
    no_bn = HolisticDiscriminator(NUM_CLASSES, input_norm=False)
    assert no_bn.input_bn is None


@pytest.mark.parametrize(
    'size,final_in',
    [
        ((64, 128), (4, 8)),  # official geometry, nothing padded
        ((65, 65), (4, 4)),  # the official 65x65 D input
        ((33, 65), (4, 4)),  # 2x4 padded up to the 4x4 kernel
        ((9, 17), (4, 4)),
        ((1, 1), (4, 4)),
    ])
def test_small_maps_are_padded_only_when_needed(size, final_in):
    critic = HolisticDiscriminator(NUM_CLASSES).eval()
    seen = {}

    def record(module, args, out):
        seen['inp'] = tuple(args[0].shape[-2:])
        seen['out'] = tuple(out.shape[-2:])

    critic.final_conv.register_forward_hook(record)
    score_map, image = _inputs(*size)
    critic(score_map, image)
    assert seen['inp'] == final_in
    assert seen['out'] == (final_in[0] - 3, final_in[1] - 3)


def test_image_is_resized_bilinearly():
    critic = HolisticDiscriminator(NUM_CLASSES).eval()
    score_map, image = _inputs(9, 17)
    resized = F.interpolate(
        image, size=(9, 17), mode='bilinear', align_corners=False)
    torch.testing.assert_close(
        critic(score_map, image), critic(score_map, resized))
    # Integer images are accepted too.
    critic(score_map, (image * 50).clamp(0, 255).to(torch.uint8))


def test_unconditional_ignores_image():
    critic = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False).eval()
    score_map, image = _inputs(9, 17)
    torch.testing.assert_close(critic(score_map), critic(score_map, image))


def test_errors():
    critic = HolisticDiscriminator(NUM_CLASSES)
    score_map, image = _inputs(9, 17)
    with pytest.raises(ValueError, match='condition_on_image=True'):
        critic(score_map)
    # Each message names its fix too.
    with pytest.raises(ValueError, match=r'in_channels=19 .*got 21.*set '
                       r'model\.discriminator\.in_channels=21'):
        critic(torch.randn(2, 21, 9, 17), image)
    with pytest.raises(ValueError, match=r'image_channels=3 .*got 1.*set '
                       r'discriminator\.image_channels=1'):
        critic(score_map, image[:, :1])
    with pytest.raises(ValueError, match='batch.*one image per score map'):
        critic(score_map, image[:1])
    with pytest.raises(ValueError, match='shape.*record a 4-D map'):
        critic(score_map[0], image)
    uncond = HolisticDiscriminator(NUM_CLASSES, condition_on_image=False)
    with pytest.raises(ValueError, match=r'in_channels=19 .*got 18'):
        uncond(torch.randn(2, 18, 9, 17))
    with pytest.raises(ValueError, match='attention_after'):
        HolisticDiscriminator(NUM_CLASSES, num_blocks=2, attention_after=(3, ))
    with pytest.raises(ValueError, match='attention_after'):
        HolisticDiscriminator(NUM_CLASSES, attention_after=(0, ))
    with pytest.raises(ValueError, match='num_blocks'):
        HolisticDiscriminator(NUM_CLASSES, num_blocks=0, attention_after=())


def test_registry_build_and_init_weights():
    critic = MODELS.build(
        dict(_scope_='mmskd', type='HolisticDiscriminator', in_channels=19))
    assert isinstance(critic, HolisticDiscriminator)
    critic.init_weights()
    score_map, image = _inputs(9, 17)
    assert critic(score_map, image).shape == (2, )
    attn = MODELS.build(
        dict(_scope_='mmskd', type='SAGANSelfAttention', in_channels=16))
    assert isinstance(attn, SAGANSelfAttention)


def test_attention_is_identity_at_init_inside_critic():
    critic = HolisticDiscriminator(NUM_CLASSES)
    pairs = []

    def record(module, args, out):
        pairs.append((args[0], out))

    for attn in critic.attentions.values():
        attn.register_forward_hook(record)
    critic(*_inputs(64, 128))
    assert len(pairs) == 2
    for inp, out in pairs:
        assert torch.equal(inp, out)


def per_channel_affine(maps: torch.Tensor) -> torch.Tensor:
    """A positive per-channel affine map of a whole batch."""
    channels = maps.size(1)
    scale = torch.linspace(0.5, 2.0, channels).view(1, -1, 1, 1)
    shift = torch.linspace(-1.0, 1.0, channels).view(1, -1, 1, 1)
    return maps * scale + shift


def test_batch_input_norm_cannot_see_a_per_channel_affine_map():
    """Train-mode BN normalises each scored batch alone, so an affinely
    changed student batch gets the teacher's score; running statistics
    keep the difference. (Spectral norm off: its power iteration would
    change the weights between the two calls.)"""
    torch.manual_seed(0)
    teacher = torch.randn(4, NUM_CLASSES, 16, 16)
    student = per_channel_affine(teacher)
    batch_norm = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False, input_norm='batch',
        base_channels=8, spectral_norm=False).train()
    assert torch.allclose(
        batch_norm(teacher), batch_norm(student), atol=1e-4)
    torch.manual_seed(0)
    running = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False, input_norm='running',
        base_channels=8, spectral_norm=False).train()
    assert not torch.allclose(running(teacher), running(student), atol=1e-2)


def test_running_input_norm_tracks_the_batches():
    disc = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False, input_norm='running',
        base_channels=8).train()
    maps = torch.full((2, NUM_CLASSES, 8, 8), 3.0)
    disc(maps)
    # momentum 0.1 towards the batch mean 3 and variance 0.
    assert torch.allclose(disc.input_bn.running_mean,
                          torch.full((NUM_CLASSES, ), 0.3))
    assert torch.allclose(disc.input_bn.running_var,
                          torch.full((NUM_CLASSES, ), 0.9))


def test_unknown_input_norm_is_refused():
    with pytest.raises(ValueError, match="'batch', 'running' or None"):
        HolisticDiscriminator(NUM_CLASSES, input_norm='layer')


def test_attention_spectral_norm_can_be_off_alone():
    """The official code's attention projections are plain 1x1 convs."""
    disc = HolisticDiscriminator(
        NUM_CLASSES, condition_on_image=False, attention_spectral_norm=False)
    assert all(hasattr(block.conv, 'weight_orig') for block in disc.blocks)
    for attention in disc.attentions.values():
        for proj in (attention.query, attention.key, attention.value):
            assert not hasattr(proj.conv, 'weight_orig')
    default = HolisticDiscriminator(NUM_CLASSES)
    assert all(
        hasattr(a.query.conv, 'weight_orig')
        for a in default.attentions.values())
