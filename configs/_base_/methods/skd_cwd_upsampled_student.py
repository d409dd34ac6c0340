# skd_cwd.py for a student whose maps are smaller than the teacher's (a
# transformer teacher's 1/4 maps against a -d8 student's 1/8): the
# channel-wise term on the fused feature and the pixel-wise term on the
# score map upsample the student's map to the teacher's (bilinear), as mmseg
# upsamples the student's logits to the image. The holistic critic scores
# maps of any size and needs no rule.
_base_ = ['./skd_cwd.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_cwd=dict(resize_student=True),
            loss_pi=dict(resize_student=True))))
