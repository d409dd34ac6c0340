# SKD with the student at half the teacher's resolution: the teacher sees
# the 512x1024 crops, the student the same crops at 256x512 (and the val
# images at half size). The score maps (PI, holistic) and the fused feature
# (PA) are each half the teacher's size; see docs/en/user_guides/resolution.md.
_base_ = [
    '../skd/skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
]
model = dict(
    input_scales=dict(student=0.5),
    distiller=dict(
        distill_losses=dict(
            loss_pi=dict(resize_student=True),
            loss_pa=dict(match_node_grids=True))))
