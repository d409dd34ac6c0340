# Structured knowledge distillation for depth (TPAMI §4.2): pair-wise on the
# fused head feature (skd_pi_pa.py's graph, decode_head.bottleneck) and the
# holistic term on the depth map, without the pixel-wise term ("PI" does not
# help for depth, Table 3.12; skd_depth_pi.py keeps it as an ablation). The
# discriminator scores DepthBinHead's 1-channel expected depth at the logits'
# resolution (decode_head.expected_depth) with the image; the teacher's depth
# map is the real sample, so the term needs no ground truth. Leaf configs use
# configs/_base_/schedules/adversarial_depth_20k.py.
_base_ = ['./skd_pi_pa.py', './holistic.py']
pi_pa = _base_.model.distiller
depth_recorders = dict(
    _delete_=True,
    feature=pi_pa.student_recorders.feature,
    depth=dict(type='ModuleOutputs', source='decode_head.expected_depth'))
model = dict(
    _base_.holistic_model,
    distiller=dict(
        student_recorders=depth_recorders,
        teacher_recorders=depth_recorders,
        distill_losses=dict(
            _delete_=True, loss_pa=pi_pa.distill_losses.loss_pa),
        loss_forward_mappings=dict(
            _delete_=True, loss_pa=pi_pa.loss_forward_mappings.loss_pa)),
    # The A2L4 discriminator of holistic.py, on the 1-channel depth map.
    discriminator=dict(_base_.discriminator, in_channels=1),
    student_recorder='depth',
    teacher_recorder='depth')
