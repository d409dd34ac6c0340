# CWD on the score maps with the student at half the teacher's resolution:
# the teacher sees the 512x1024 crops, the student the same crops at 256x512
# (and the val images at half size); see docs/en/user_guides/resolution.md.
_base_ = ['../cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py']  # noqa
model = dict(
    input_scales=dict(student=0.5),
    distiller=dict(distill_losses=dict(loss_cwd=dict(resize_student=True))))
